"""Small-number suppression on its own: k, shares, and no figure recoverable by subtraction."""

from __future__ import annotations

from analytics.privacy import Cell, apply_k, protect_grid, protect_partition, share, shown_text


def test_a_figure_resting_on_fewer_than_k_people_is_hidden():
    cells = [Cell(12, 4), Cell(12, 5), Cell(3, None)]
    apply_k(cells, 5)
    assert [c.hidden for c in cells] == [True, False, False]
    assert shown_text(cells[0], 5) == "fewer than 5"
    # Raising k hides more; it is the setting, not a constant.
    apply_k(cells, 6)
    assert cells[1].hidden


def test_one_hidden_child_of_a_shown_total_takes_the_smallest_non_zero_sibling_with_it():
    total = Cell(40, 40)
    children = [Cell(3, 3), Cell(0, None), Cell(10, 10), Cell(27, 27)]
    apply_k(children, 5)
    assert protect_partition(total, children)
    hidden = [c.value for c in children if c.hidden]
    assert sorted(hidden) == [3, 10]
    # Shown: 0 and 27 of 40; what is left (13) is two hidden cells, neither recoverable.
    shown_sum = sum(c.value for c in children if c.shown)
    assert total.value - shown_sum == 13


def test_a_zero_resting_on_nobody_is_hidden_like_any_small_figure():
    # "Nobody in a department of two posted" says something about both of them.
    cell = Cell(0, 0)
    apply_k([cell], 5)
    assert cell.hidden


def test_when_no_sibling_can_cover_the_total_is_hidden_instead():
    total = Cell(7, 7)
    children = [Cell(4, 4), Cell(0, None)]
    apply_k(children, 5)
    protect_partition(total, children)
    assert total.hidden


def test_a_grid_is_protected_in_rows_and_columns_until_nothing_single_is_left():
    # 2x2 grid with row and column totals shown; one small cell.
    a, b, c, d = Cell(2, 2), Cell(9, 9), Cell(8, 8), Cell(20, 20)
    apply_k([a, b, c, d], 5)
    rows = [(Cell(11, 11), [a, b]), (Cell(28, 28), [c, d])]
    columns = [(Cell(10, 10), [a, c]), (Cell(29, 29), [b, d])]
    protect_grid(rows + columns)
    for _total, cells in rows + columns:
        assert sum(cell.hidden for cell in cells) != 1


def test_a_share_is_hidden_when_the_part_or_the_rest_is_a_small_group():
    whole = Cell(40, 40)
    assert share(Cell(20, 20), whole, 5).shown
    # 3 of 40: the part is a small group.
    assert share(Cell(3, 3), whole, 5).hidden
    # 37 of 40: the rest (3 people) is a small group.
    assert share(Cell(37, 37), whole, 5).hidden
    assert share(Cell(20, 20), Cell(40, 40, hidden=True), 5).hidden
