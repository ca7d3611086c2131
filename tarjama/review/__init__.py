"""Review: the item's log of typed events (:mod:`.events`), the states folded from it (:mod:`.state`) and
what decisions do (:mod:`.decisions`)."""
