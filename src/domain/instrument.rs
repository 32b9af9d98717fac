//! Instruments and their trading filters (tick size, lot size, min notional), with the checks
//! the order ticket and the simulator both apply.

use super::num::{Price, Qty, notional};
use super::symbol::{Symbol, VenueId};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A tradable instrument and the venue's rules for prices and quantities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instrument {
    /// Venue.
    pub venue: VenueId,
    /// Symbol, e.g. `BTCUSDT` or `AAPL`.
    pub symbol: Symbol,
    /// Base asset (`BTC`, `AAPL`).
    pub base: String,
    /// Quote asset (`USDT`, `USD`).
    pub quote: String,
    /// Prices must be multiples of this (zero: any).
    pub tick_size: Price,
    /// Lowest accepted price (zero: no bound).
    pub min_price: Price,
    /// Highest accepted price (zero: no bound).
    pub max_price: Price,
    /// Quantities must be multiples of this (zero: any).
    pub step_size: Qty,
    /// Smallest accepted quantity.
    pub min_qty: Qty,
    /// Largest accepted quantity (zero: no bound).
    pub max_qty: Qty,
    /// Smallest accepted notional (price × quantity) in quote units.
    pub min_notional: Decimal,
    /// Largest accepted notional, if any.
    pub max_notional: Option<Decimal>,
    /// Whether the instrument currently trades.
    pub trading: bool,
}

/// Why a price or quantity breaks an instrument's filters, worded for the order ticket.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// Not a multiple of the tick size.
    #[error("price {price} is not a multiple of the tick {tick}: try {below} or {above}")]
    PriceTick {
        /// The price typed.
        price: Price,
        /// The tick size.
        tick: Price,
        /// The nearest valid price below.
        below: Price,
        /// The nearest valid price above.
        above: Price,
    },
    /// Outside the allowed price band.
    #[error("price {price} is outside {min} – {max}")]
    PriceRange {
        /// The price typed.
        price: Price,
        /// Lowest allowed.
        min: Price,
        /// Highest allowed.
        max: Price,
    },
    /// Not a multiple of the lot (step) size.
    #[error("quantity {qty} is not a multiple of the lot {step}: try {below} or {above}")]
    QtyStep {
        /// The quantity typed.
        qty: Qty,
        /// The step size.
        step: Qty,
        /// The nearest valid quantity below.
        below: Qty,
        /// The nearest valid quantity above.
        above: Qty,
    },
    /// Below the minimum quantity.
    #[error("quantity {qty} is below the minimum {min}")]
    QtyTooSmall {
        /// The quantity typed.
        qty: Qty,
        /// The minimum.
        min: Qty,
    },
    /// Above the maximum quantity.
    #[error("quantity {qty} is above the maximum {max}")]
    QtyTooLarge {
        /// The quantity typed.
        qty: Qty,
        /// The maximum.
        max: Qty,
    },
    /// Below the minimum notional.
    #[error("order value {notional} {quote} is below the minimum {min} {quote}")]
    NotionalTooSmall {
        /// Price × quantity.
        notional: Decimal,
        /// The minimum.
        min: Decimal,
        /// Quote asset.
        quote: String,
    },
    /// Above the maximum notional.
    #[error("order value {notional} {quote} is above the maximum {max} {quote}")]
    NotionalTooLarge {
        /// Price × quantity.
        notional: Decimal,
        /// The maximum.
        max: Decimal,
        /// Quote asset.
        quote: String,
    },
    /// The instrument is halted or delisted.
    #[error("{0} is not trading now")]
    NotTrading(Symbol),
}

impl Instrument {
    /// Decimals to display prices with (from the tick size).
    pub fn price_dp(&self) -> u32 {
        if self.tick_size.is_zero() {
            2
        } else {
            self.tick_size.natural_dp()
        }
    }
    /// Decimals to display quantities with (from the step size).
    pub fn qty_dp(&self) -> u32 {
        if self.step_size.is_zero() {
            8
        } else {
            self.step_size.natural_dp()
        }
    }

    /// Checks a limit or stop price against PRICE_FILTER.
    pub fn check_price(&self, price: Price) -> Result<(), FilterError> {
        let below_min = !self.min_price.is_zero() && price < self.min_price;
        let above_max = !self.max_price.is_zero() && price > self.max_price;
        if below_min || above_max || !price.is_positive() {
            return Err(FilterError::PriceRange {
                price,
                min: self.min_price.max(self.tick_size),
                max: self.max_price,
            });
        }
        if !price.is_multiple_of(self.tick_size) {
            let below = price.floor_to(self.tick_size);
            return Err(FilterError::PriceTick {
                price,
                tick: self.tick_size,
                below,
                above: below.saturating_add(self.tick_size),
            });
        }
        Ok(())
    }

    /// Checks a base quantity against LOT_SIZE.
    pub fn check_qty(&self, qty: Qty) -> Result<(), FilterError> {
        if qty < self.min_qty || !qty.is_positive() {
            return Err(FilterError::QtyTooSmall {
                qty,
                min: self.min_qty.max(self.step_size),
            });
        }
        if !self.max_qty.is_zero() && qty > self.max_qty {
            return Err(FilterError::QtyTooLarge {
                qty,
                max: self.max_qty,
            });
        }
        if !qty.is_multiple_of(self.step_size) {
            let below = qty.floor_to(self.step_size);
            return Err(FilterError::QtyStep {
                qty,
                step: self.step_size,
                below,
                above: below.saturating_add(self.step_size),
            });
        }
        Ok(())
    }

    /// Checks price × quantity against NOTIONAL.
    pub fn check_notional(&self, price: Price, qty: Qty) -> Result<(), FilterError> {
        let value = notional(price, qty).unwrap_or(Decimal::MAX);
        if value < self.min_notional {
            return Err(FilterError::NotionalTooSmall {
                notional: value,
                min: self.min_notional,
                quote: self.quote.clone(),
            });
        }
        if let Some(max) = self.max_notional.filter(|m| value > *m) {
            return Err(FilterError::NotionalTooLarge {
                notional: value,
                max,
                quote: self.quote.clone(),
            });
        }
        Ok(())
    }

    /// Every filter for an order at `price` for `qty`, first failure wins.
    pub fn check_order(&self, price: Price, qty: Qty) -> Result<(), FilterError> {
        if !self.trading {
            return Err(FilterError::NotTrading(self.symbol.clone()));
        }
        self.check_price(price)?;
        self.check_qty(qty)?;
        self.check_notional(price, qty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn btc() -> Instrument {
        Instrument {
            venue: VenueId::Binance,
            symbol: Symbol::new("BTCUSDT").unwrap(),
            base: "BTC".into(),
            quote: "USDT".into(),
            tick_size: Price::parse("0.01").unwrap(),
            min_price: Price::parse("0.01").unwrap(),
            max_price: Price::parse("1000000").unwrap(),
            step_size: Qty::parse("0.00001").unwrap(),
            min_qty: Qty::parse("0.00001").unwrap(),
            max_qty: Qty::parse("9000").unwrap(),
            min_notional: Decimal::new(5, 0),
            max_notional: Some(Decimal::new(9_000_000, 0)),
            trading: true,
        }
    }

    #[test]
    fn messages_say_what_to_change() {
        let i = btc();
        let p = |s| Price::parse(s).unwrap();
        let q = |s| Qty::parse(s).unwrap();
        let cases = [
            (
                "100.255",
                "0.1",
                "price 100.255 is not a multiple of the tick 0.01: try 100.25 or 100.26",
            ),
            ("0", "0.1", "price 0 is outside 0.01 – 1000000"),
            (
                "100",
                "0.000015",
                "quantity 0.000015 is not a multiple of the lot 0.00001: try 0.00001 or 0.00002",
            ),
            ("100", "0", "quantity 0 is below the minimum 0.00001"),
            ("100", "9001", "quantity 9001 is above the maximum 9000"),
            (
                "100",
                "0.01",
                "order value 1 USDT is below the minimum 5 USDT",
            ),
            (
                "999999",
                "9000",
                "order value 8999991000 USDT is above the maximum 9000000 USDT",
            ),
        ];
        for (price, qty, msg) in cases {
            let err = i.check_order(p(price), q(qty)).unwrap_err();
            assert_eq!(err.to_string(), msg, "{price} x {qty}");
        }
        assert!(i.check_order(p("43250.10"), q("0.001")).is_ok());
        assert_eq!(i.price_dp(), 2);
        assert_eq!(i.qty_dp(), 5);
    }
}
