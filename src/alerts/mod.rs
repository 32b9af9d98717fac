//! Price alerts: above / below / crossing / % move, evaluated on every trade.
