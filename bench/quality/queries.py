"""Retrieval queries written by hand: (question, a phrase the answering chunk contains).

A query hits at k when one of the k chunks nearest to it (MiniLM, cosine) contains the
phrase (case and spacing ignored).
"""

R_INTRO = [
    ("how do I generate a sequence of numbers with a given step",
     "more general facility for generating sequences"),
    ("find which elements of a vector are missing values",
     "gives a logical vector of the same size as x"),
    ("apply a function to groups of values given by a factor", "ragged array"),
    ("fit a generalized linear model", "generalized linear model"),
    ("what does the value NA stand for", "not available"),
]
DEVREF = [
    ("how do I get my GPG key into the Debian keyring", "keyring.debian.org"),
    ("upload a package with a delay of several days", "DELAYED/"),
    ("announce that I intend to package a new piece of software", "ITP: foo"),
    ("make sure nobody else is already packaging the software", "Checking the WNPP list"),
    ("upload a fix to a package maintained by someone else", "Non-Maintainer Upload"),
]
MAINT_GUIDE = [
    ("tool to manage many patches against the upstream source",
     "manage large numbers of patches"),
    ("build packages in a clean chroot", "creating and maintaining a chroot environment"),
    ("find new upstream versions automatically", "watch file configures the uscan program"),
    ("where are build dependencies declared", "Build-Depends"),
]
CONTROLFLOW = [
    ("loop over the indices of a list", "combine range() and len()"),
    ("a statement that does nothing", "pass statement does nothing"),
    ("small anonymous functions", "lambda"),
    ("give function parameters default values", "default value for one or more arguments"),
    ("compare a value against several patterns", "match statement"),
]
QUERIES: dict[str, list[tuple[str, str]]] = {
    "r-intro.pdf": R_INTRO, "devref.pdf": DEVREF, "devref.epub": DEVREF,
    "maint-guide.pdf": MAINT_GUIDE, "python-controlflow.html": CONTROLFLOW,
}
