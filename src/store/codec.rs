//! How domain values are stored: exact decimal TEXT for prices, quantities and money, the
//! lower-case names for enums, and integer milliseconds for times.

use crate::domain::{
    ClientOrderId, Interval, OrderStatus, OrderType, Price, Qty, Side, Symbol, TimeInForce, VenueId,
};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rust_decimal::Decimal;
use std::str::FromStr;

/// A text error for [`FromSqlError::Other`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct BadText(String);

fn parse_text<T, E: std::fmt::Display>(
    v: ValueRef<'_>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> FromSqlResult<T> {
    let s = v.as_str()?;
    parse(s).map_err(|e| FromSqlError::other(BadText(e.to_string())))
}

/// Stores a type as its `Display` text and reads it back with `FromStr`.
macro_rules! text_column {
    ($($ty:ty),* $(,)?) => {$(
        impl ToSql for $ty {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.to_string()))
            }
        }
        impl FromSql for $ty {
            fn column_result(v: ValueRef<'_>) -> FromSqlResult<Self> {
                parse_text(v, <$ty>::from_str)
            }
        }
    )*};
}

text_column!(Price, Qty, Symbol);

impl ToSql for ClientOrderId {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for ClientOrderId {
    fn column_result(v: ValueRef<'_>) -> FromSqlResult<Self> {
        parse_text(v, ClientOrderId::new)
    }
}

/// Stores an enum as its `as_str` name.
macro_rules! name_column {
    ($($ty:ty),* $(,)?) => {$(
        impl ToSql for $ty {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }
        impl FromSql for $ty {
            fn column_result(v: ValueRef<'_>) -> FromSqlResult<Self> {
                parse_text(v, <$ty>::from_str)
            }
        }
    )*};
}

name_column!(VenueId, Side, OrderStatus, OrderType, TimeInForce, Interval);

/// An exact `Decimal` stored as TEXT (money: fees, notionals, P&L).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dec(pub Decimal);

impl ToSql for Dec {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.0.normalize().to_string()))
    }
}

impl FromSql for Dec {
    fn column_result(v: ValueRef<'_>) -> FromSqlResult<Self> {
        parse_text(v, Decimal::from_str_exact).map(Dec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    #[test]
    fn values_round_trip_exactly_as_text() {
        let c = Connection::open_in_memory().unwrap();
        let p = Price::parse("43250.12345678").unwrap();
        let d = Dec(Decimal::from_str_exact("0.0000000000001234").unwrap());
        let (pt, dt): (String, String) = c
            .query_row("SELECT ?1, ?2", (&p, &d), |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!(pt, "43250.12345678");
        assert_eq!(dt, "0.0000000000001234");
        let back: (Price, Dec, OrderStatus) = c
            .query_row("SELECT ?1, ?2, 'partially_filled'", (&p, &d), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!(back, (p, d, OrderStatus::PartiallyFilled));
        let bad = c.query_row("SELECT '1e5'", [], |r| r.get::<_, Price>(0));
        assert!(bad.is_err());
    }
}
