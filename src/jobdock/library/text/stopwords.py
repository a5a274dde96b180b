"""English stop words: too common to say what a passage is about."""

_WORDS = """
a about above according across actually after afterwards again against all almost alone
along already also although always am among amongst an and another any anyhow anyone
anything anyway anywhere are aren't around as at be became because become becomes becoming
been before beforehand behind being below beside besides between beyond both but by can
cannot could couldn't did didn't do does doesn't doing don't done down due during each
either else elsewhere enough etc even ever every everyone everything everywhere except few
first for former formerly from further had hadn't has hasn't have haven't having he he'd
he'll he's hence her here here's hereafter hereby herein hers herself him himself his how
how's however i i'd i'll i'm i've if in indeed instead into is isn't it it's its itself
just last later latter least less let's like made make makes many may maybe me meanwhile
might mine more moreover most mostly much must my myself namely neither never nevertheless
new next no nobody none noone nor not nothing now nowhere of off often on once one only
onto or other others otherwise our ours ourselves out over own per perhaps please put
quite rather really said same see seem seemed seeming seems several she she'd she'll she's
should shouldn't since so some somehow someone something sometime sometimes somewhere
still such than that that's the their theirs them themselves then thence there there's
thereafter thereby therefore therein these they they'd they'll they're they've this those
though through throughout thus to together too toward towards two under until up upon us
use used uses using very via was wasn't we we'd we'll we're we've well were weren't what
what's whatever when when's whence whenever where where's whereas whereby wherein whether
which while who who's whoever whole whom whose why why's will with within without won't
would wouldn't yet you you'd you'll you're you've your yours yourself yourselves
"""
STOP_WORDS = frozenset(_WORDS.split())
