//! Positions, average cost, realized / unrealized P&L and equity history.
