"""TEST FIXTURE ONLY: put a proposal in the state ``decided`` on a plenary ballot, as the
shortlist and ballot steps (another part of issue 14) do when the plenary result is published.

The city's response needs a decided proposal; until those steps are on main, the response's tests
reach one through this helper. It writes the record through the store's own read-decide-commit
(``ProposalStore._step``: the record guarded, one event on the channel), so the channel, its
snapshot and the offsets stay what a real step would leave. Never used by the hub.
"""

from __future__ import annotations

import msgspec

from proposals import rules
from proposals.model import OnBallot, PState, Shortlisted
from proposals.rules import Change, View
from proposals.store import Done, Need, ProposalStore

EVENT = "proposal.decided"


async def decide(store: ProposalStore, meeting: str, pid: int, vote: str, item: str, rank: int) -> Done:
    """Proposal ``pid`` kept by a shortlist vote at ``rank``, on ``vote``'s ballot as ``item``, and
    decided there at ``rank``."""

    def step(v: View) -> Change:
        p = msgspec.structs.replace(
            v.proposals[pid],
            state=PState.DECIDED,
            shortlist=Shortlisted(vote=f"{meeting}-short", rank=rank),
            ballot=OnBallot(vote=vote, item=item, rank=rank),
            updated=v.now,
        )
        op = rules.Op("hset", "", rules.field_of(pid), rules.packed(p))
        return Change(EVENT, {"proposal": p}, (op,), (rules.field_of(pid),), p)

    return await store._step(meeting, Need(ids=(pid,)), step)
