//! Property test of the book sync state machine against a naive model: a true book evolves by
//! contiguous diffs; the client sees them with drops, reorders and repeats, and snapshots taken
//! at random moments (older or newer than what it has seen). Whenever the client says its book
//! is live, the book must equal the true book at the client's update id; and once the stream is
//! clean again the client must become live and end equal to the true book.

#![allow(clippy::unwrap_used)] // test helpers unwrap freely

use proptest::prelude::*;
use speedtrade::book::{BookSync, DepthDiff, DepthSnapshot};
use speedtrade::domain::{Level, Price, Qty};
use std::collections::BTreeMap;

type Side = BTreeMap<i64, i64>;

/// One generated event: its id span and `(price, qty, is_bid)` levels.
type RawEvent = (u64, Vec<(i64, i64, bool)>);

#[derive(Clone, Debug, Default, PartialEq)]
struct Truth {
    bids: Side,
    asks: Side,
}

fn lv(p: i64, q: i64) -> Level {
    Level {
        price: Price::from_int(p),
        qty: Qty::from_int(q),
    }
}

/// The true history: the book after each event, keyed by its `u`.
struct History {
    events: Vec<DepthDiff>,
    states: BTreeMap<u64, Truth>,
}

fn history(raw: &[RawEvent]) -> History {
    let mut truth = Truth::default();
    let mut id = 10;
    let mut states = BTreeMap::from([(id, truth.clone())]);
    let mut events = vec![];
    for (span, levels) in raw {
        let mut diff = DepthDiff {
            first_id: id + 1,
            last_id: id + span,
            ..DepthDiff::default()
        };
        for &(p, q, bid) in levels {
            let side = if bid {
                &mut truth.bids
            } else {
                &mut truth.asks
            };
            if q == 0 {
                side.remove(&p);
            } else {
                side.insert(p, q);
            }
            let list = if bid { &mut diff.bids } else { &mut diff.asks };
            list.push(lv(p, q));
        }
        id += span;
        states.insert(id, truth.clone());
        events.push(diff);
    }
    History { events, states }
}

fn snapshot(h: &History, id: u64) -> DepthSnapshot {
    let t = &h.states[&id];
    DepthSnapshot {
        last_id: id,
        bids: t.bids.iter().map(|(p, q)| lv(*p, *q)).collect(),
        asks: t.asks.iter().map(|(p, q)| lv(*p, *q)).collect(),
    }
}

fn client_view(s: &BookSync) -> Truth {
    let conv = |it: &mut dyn Iterator<Item = Level>| -> Side {
        it.map(|l| (l.price.units() / 100_000_000, l.qty.units() / 100_000_000))
            .collect()
    };
    Truth {
        bids: conv(&mut s.book().bids()),
        asks: conv(&mut s.book().asks()),
    }
}

/// Live ⇒ equal to the truth at the client's id.
fn check_live(s: &BookSync, h: &History) -> Result<(), TestCaseError> {
    if !s.is_stale() {
        let id = s.book().update_id();
        let Some(truth) = h.states.get(&id) else {
            return Err(TestCaseError::fail(format!(
                "live at {id}, not the end of an event"
            )));
        };
        prop_assert_eq!(&client_view(s), truth, "at id {}", id);
    }
    Ok(())
}

/// A delivery fault applied at one position of the stream.
#[derive(Clone, Copy, Debug)]
enum Fault {
    None,
    Drop,
    Swap,
    Repeat,
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![6 => Just(Fault::None), 1 => Just(Fault::Drop), 1 => Just(Fault::Swap), 1 => Just(Fault::Repeat)]
}

fn events() -> impl Strategy<Value = Vec<RawEvent>> {
    let level = (1i64..25, 0i64..3, any::<bool>());
    prop::collection::vec((1u64..4, prop::collection::vec(level, 0..6)), 10..60)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn live_book_always_equals_the_truth(
        raw in events(),
        faults in prop::collection::vec(fault(), 60),
        snap_skew in prop::collection::vec(-6i64..4, 60),
        clean_from in 0usize..60,
    ) {
        let h = history(&raw);
        let n = h.events.len();
        let clean_from = clean_from.min(n);
        // The faulty part of the stream.
        let mut order: Vec<usize> = (0..clean_from).collect();
        let mut delivered = vec![];
        let mut i = 0;
        while i < order.len() {
            match faults[i] {
                Fault::Drop => {}
                Fault::Swap if i + 1 < order.len() => {
                    order.swap(i, i + 1);
                    delivered.push(order[i]);
                }
                Fault::Repeat => delivered.extend([order[i], order[i]]),
                _ => delivered.push(order[i]),
            }
            i += 1;
        }
        let mut s = BookSync::new(1000, 10_000);
        let ids: Vec<u64> = h.states.keys().copied().collect();
        for (k, &e) in delivered.iter().enumerate() {
            s.on_diff(&h.events[e]);
            check_live(&s, &h)?;
            if s.wants_snapshot() {
                // A snapshot served around the true position of this event: maybe older than
                // what was buffered, maybe newer.
                let pos = (e as i64 + 1 + snap_skew[k % 60]).clamp(0, n as i64) as usize;
                s.on_snapshot(&snapshot(&h, ids[pos]));
                check_live(&s, &h)?;
            }
        }
        // The clean tail: every event in order, snapshots of the current server state.
        for (e, diff) in h.events.iter().enumerate().skip(clean_from) {
            s.on_diff(diff);
            check_live(&s, &h)?;
            if s.wants_snapshot() {
                s.on_snapshot(&snapshot(&h, ids[e + 1]));
                check_live(&s, &h)?;
            }
        }
        if clean_from < n {
            prop_assert!(!s.is_stale(), "a clean stream with snapshots must end live");
            let last = *ids.last().unwrap_or(&0);
            prop_assert_eq!(s.book().update_id(), last);
            prop_assert_eq!(&client_view(&s), &h.states[&last]);
        }
    }

    #[test]
    fn a_depth_cap_keeps_the_best_levels(
        raw in events(),
        depth in 1usize..8,
    ) {
        let h = history(&raw);
        let mut s = BookSync::new(depth, 10_000);
        s.on_snapshot(&snapshot(&h, 10));
        for diff in &h.events {
            s.on_diff(diff);
        }
        let (b, a) = s.book().len();
        prop_assert!(b <= depth && a <= depth);
        // Every level the capped book shows is true (levels that fell beyond the cap may be
        // missing later, as Binance documents for levels outside a snapshot).
        let last = *h.states.keys().last().unwrap_or(&0);
        let truth = &h.states[&last];
        let mine = client_view(&s);
        for (p, q) in &mine.bids {
            prop_assert_eq!(truth.bids.get(p), Some(q));
        }
        for (p, q) in &mine.asks {
            prop_assert_eq!(truth.asks.get(p), Some(q));
        }
    }
}
