"""TEST FIXTURE: put a proposal in the state ``decided`` by the plenary's own steps, without running
the votes: the rules ``proposals.provenance.shortlisted``, ``on_ballot`` and ``decided`` applied
through ``ProposalStore.settle``, as ``proposals.voting`` applies them when a shortlist vote and
the plenary vote are published, on origins made here instead of read from real votes. So the
record, its events and the channel's offsets are what the hub's steps leave, with the ranks asked
for. The city's response needs a decided proposal; its tests reach one this way.
"""

from __future__ import annotations

from functools import partial

from proposals import provenance
from proposals.provenance import Origin, Provenance
from proposals.store import Done, ProposalStore

_NONE = 10**12  # proposal ids of the places before ``rank``: none exists, so each is passed over


async def decide(store: ProposalStore, meeting: str, pid: int, vote: str, item: str, rank: int) -> Done:
    """Proposal ``pid`` kept by the shortlist vote ``<meeting>-short`` at ``rank``, put on ``vote``'s
    ballot as ``item``, and decided there at ``rank``."""
    [me] = [x for x in (await store.page(meeting)).proposals if x.id == pid]
    ahead = [f"ahead-{n}" for n in range(1, rank)]  # the places before it, held by no proposal
    items = (
        *(
            Provenance(item=i, meeting=meeting, proposal=_NONE + n, section="", title="", authors=())
            for n, i in enumerate(ahead)
        ),
        Provenance(
            item=item, meeting=meeting, proposal=pid, section=me.section, title=me.title, authors=me.authors
        ),
    )
    order = [*ahead, item]
    short = Origin(kind="shortlist", vote=f"{meeting}-short", items=items, meeting=meeting, top=rank)
    plenary = Origin(kind="plenary", vote=vote, items=items, top=rank)
    steps = (
        partial(provenance.shortlisted, origin=short, order=order),
        partial(provenance.on_ballot, origin=plenary, meeting=meeting),
        partial(provenance.decided, origin=plenary, meeting=meeting, order=order),
    )
    done = [await store.settle(meeting, [pid], step) for step in steps]
    assert done[-1] is not None
    return done[-1]
