"""The service priority of an order line: the product score, its rank, and how the tier combines.

The domain's rule (docs/priority.md): a product's score is ``profit_grade x importance`` (grade
1 = most profitable; importance 1 = a late order is a lost sale, 3 = a long delay is accepted);
its service priority is the competition rank of that score over the scenario's products, lowest
first, equal scores sharing a rank (scores 2, 6, 3, 12, 15, 12, 7, 16, 27, 20 rank 1, 3, 2, 5,
7, 5, 4, 8, 10, 9). A line's key combines the customer's tier priority with the product by the
terms of ``allocation.priority_order``, compared lexicographically (lower served first):

- ``tier``: the tier's ``priority`` (1 = first);
- ``score``: the product's rank (the table above);
- ``weighted``: the product ``tier_priority ** tier_weight x score``;
- ``importance``, ``profit_grade``: the product's fields themselves.

The same key orders every shared resource the engine serves by priority (a stock point's
backlog, a site's order processing and handling, a supplier's capacity, a lane's capacity).
Replenishment of stock from a supplier ranks as a line of the best tier for its product (the
stock it brings serves every tier); a transfer to a downstream stock point ranks as the best
class that point serves (``StockPoint.transfer_key``, set by ``Allocation.setup_rationing``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def product_scores(grades: Sequence[int], importances: Sequence[int]) -> list[int]:
    """``profit_grade x importance`` of each product (lower = more deserving)."""
    return [int(g) * int(i) for g, i in zip(grades, importances, strict=True)]


def competition_rank(scores: Sequence[float]) -> list[int]:
    """Rank of each score, lowest first, equal scores sharing the lowest rank of their group
    ("1224" ranking): 1 + the number of strictly lower scores."""
    ordered = sorted(scores)
    first: dict[float, int] = {}
    for pos, s in enumerate(ordered, start=1):
        first.setdefault(s, pos)
    return [first[s] for s in scores]


class Priority:
    """Priority keys of (tier priority, product) pairs for one scenario, cached."""

    def __init__(self, sc: Any) -> None:
        products = list(sc.products)
        self.grade = [p.profit_grade for p in products]
        self.importance = [p.importance for p in products]
        self.score = product_scores(self.grade, self.importance)
        self.rank = competition_rank(self.score)
        self.order = tuple(sc.allocation.priority_order)
        self.tier_weight = float(sc.allocation.tier_weight)
        tiers = [t.priority for t in sc.tiers.values()]
        #: the tier priority a replenishment order ranks with (the best tier's)
        self.stock_tier = min(tiers) if tiers else 1
        self._cache: dict[tuple[int, int], tuple] = {}

    def key(self, tier_priority: int, pi: int) -> tuple:
        """Key of a line of product ``pi`` for a customer of tier priority ``tier_priority``."""
        k = self._cache.get((tier_priority, pi))
        if k is None:
            k = self._cache[(tier_priority, pi)] = tuple(
                self._term(t, tier_priority, pi) for t in self.order)
        return k

    def stock_key(self, pi: int) -> tuple:
        """Key of a replenishment order of product ``pi`` (ranks as the best tier's line)."""
        return self.key(self.stock_tier, pi)

    def _term(self, term: str, tier: int, pi: int) -> float:
        if term == "tier":
            return tier
        if term == "score":
            return self.rank[pi]
        if term == "weighted":
            return float(tier) ** self.tier_weight * self.score[pi]
        if term == "importance":
            return self.importance[pi]
        return self.grade[pi]  # profit_grade

    def table(self, product_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The priority table of the products (id, grade, importance, score, priority)."""
        return [{"product": pid, "profit_grade": self.grade[i], "importance": self.importance[i],
                 "score": self.score[i], "priority": self.rank[i]}
                for i, pid in enumerate(product_ids)]
