"""Findings of an outside check of the everyday-chat features (issue 14), each kept as a test.

Most attacks (boundary ids, NUL and lone surrogates, other tenants' ids, concurrent pins, acks,
mutes, favourites and joins by link) found nothing; what they found is here."""

from __future__ import annotations

import httpx

from tests.conftest import Person, befriend, register


async def names_found(person: Person, query: str) -> list[str]:
    response = await person.get("/api/v1/search/contacts", params={"q": query})
    assert response.status_code == 200, response.text
    return [hit["user"]["display_name"] for hit in response.json()["results"]]


async def test_a_surname_read_as_written_comes_before_a_rare_reading_of_another(
    client: httpx.AsyncClient,
) -> None:
    """`shan` is how 单 reads as a surname; 邓 has `shan` only as a rare heteronym. Both are found
    (a searcher may have either reading in mind), but 单小山 must not be listed after 邓晓明 just
    because 邓晓明 registered first: in a large company the rare readings crowd out the person
    meant (the list is cut at 20)."""
    seeker = await register(client, "seeker", "找人的")
    deng = await register(client, "dengxm", "邓晓明")
    shan = await register(client, "xiaoshan", "单小山")
    for person in (deng, shan):
        await befriend(seeker, person)
    assert await names_found(seeker, "shan") == ["单小山", "邓晓明"]
    assert await names_found(seeker, "sxs") == ["单小山"]
