import json

import pytest

from jobdock.library.integrations.readwise_files import MalformedExport, parse_export

CSV = (
    "Highlight,Book Title,Book Author,Amazon Book ID,Note,Color,Tags,Location Type,Location,"
    "Highlighted at,Document tags\n"
    '"The river, it said, remembers.",Stone Book,A. Writer,B00X,my note,purple,"t1, t2",'
    "location,1234,2026-01-02 10:00:00+00:00,\n"
    "Second line of text.,Stone Book,A. Writer,B00X,,yellow,,order,2,,\n"
)


def test_csv_as_readwise_exports_it():
    rows = parse_export(CSV.encode("utf-8-sig"), "readwise-data.csv")
    assert [h.text for h in rows] == ["The river, it said, remembers.", "Second line of text."]
    first = rows[0]
    assert (first.book_title, first.book_author, first.note) == ("Stone Book", "A. Writer",
                                                                 "my note")
    assert first.color == "blue"  # purple shows as blue
    assert first.tags == ("t1", "t2") and first.location == 1234
    assert first.location_type == "location"
    # CSV rows have no id: a stable content id keeps re-imports idempotent.
    assert parse_export(CSV.encode())[0].external_id == first.external_id
    assert first.external_id != rows[1].external_id


def test_json_api_shape_and_flat_list():
    books = {"count": 1, "nextPageCursor": None, "results": [{
        "user_book_id": 9, "title": "Stone Book", "author": "A. Writer",
        "highlights": [{"id": 55, "text": "Alpha beta.", "note": "n", "location": 3,
                        "location_type": "page", "color": "green",
                        "tags": [{"id": 1, "name": "fav"}], "highlighted_at": "2026-01-01"}]}]}
    [h] = parse_export(json.dumps(books).encode(), "export.json")
    assert (h.external_id, h.book_title, h.tags, h.color, h.book_id) == (
        "55", "Stone Book", ("fav",), "green", "9")
    flat = [{"text": "Gamma.", "title": "Other", "location": 150, "color": "nope"}]
    [g] = parse_export(json.dumps(flat).encode(), "flat.json")
    assert (g.text, g.book_title, g.color, g.location) == ("Gamma.", "Other", "yellow", 150)
    assert g.external_id.startswith("sha1:")


@pytest.mark.parametrize("data,name,words", [
    (b"", "x.csv", "empty"),
    (b"\xff\xfe\x00bad", "x.csv", "not UTF-8"),
    (b"Title,Author\nA,B\n", "x.csv", 'no "Highlight" column'),
    (b"Highlight,Book Title\n,Stone\n", "x.csv", "line 2"),
    (b"Highlight,Book Title\nx,y,z\n", "x.csv", "more fields"),
    (b'{"results": 3}', "x.json", "no \"results\""),
    (b'[{"text": "ok"}, 5]', "x.json", "item 2"),
    (b'[{"title": "B", "highlights": [{"text": "  "}]}]', "x.json", "highlight 1 of 'B'"),
    (b'{"results": [', "x.json", "not valid JSON"),
])
def test_malformed_exports_say_where(data, name, words):
    with pytest.raises(MalformedExport) as err:
        parse_export(data, name)
    assert words in str(err.value)
