use std::net::IpAddr;

use chrono::{TimeDelta, Utc};
use serde_json::json;

use super::burst::BurstWindow;
use super::report::{Kind, Rules, far_above, indicator, mode_mix};
use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn networks_are_slash_24_and_slash_48() {
    assert_eq!(Network::of(ip("10.1.2.3")), Network::of(ip("10.1.2.250")));
    assert_ne!(Network::of(ip("10.1.2.3")), Network::of(ip("10.1.3.3")));
    assert_eq!(
        Network::of(ip("::ffff:10.1.2.3")),
        Network::of(ip("10.1.2.9"))
    );
    assert_eq!(
        Network::of(ip("2001:db8:1::1")),
        Network::of(ip("2001:db8:1:ffff::2"))
    );
    assert_ne!(
        Network::of(ip("2001:db8:1::1")),
        Network::of(ip("2001:db8:2::1"))
    );
}

#[test]
fn a_burst_is_more_than_count_answers_within_the_window() {
    let mut w = BurstWindow::new(3, 10);
    let net = Network::of(ip("10.0.0.1"));
    let other = Network::of(ip("10.0.1.1"));
    let t = Utc::now();
    let at = |m: i64| t + TimeDelta::minutes(m);
    assert!(!w.arrive(net, at(0)));
    assert!(!w.arrive(net, at(1)));
    assert!(!w.arrive(other, at(1)));
    assert!(!w.arrive(net, at(2)));
    assert!(w.arrive(net, at(3)), "the fourth within ten minutes");
    assert!(w.arrive(net, at(4)));
    // Ten minutes after the first three, only the last two are left.
    assert!(!w.arrive(net, at(13)));
    assert!(!w.arrive(other, at(13)));
    assert_eq!(w.tracked(), 2);
}

#[test]
fn quick_answers_are_web_link_answers_soon_after_completion() {
    let t = Utc::now();
    assert!(is_quick(t, t + TimeDelta::minutes(10), 10));
    assert!(!is_quick(t, t + TimeDelta::minutes(11), 10));
    let mut s = Signals::default();
    s.through_link(Mode::Kiosk, true, true);
    assert!(
        !s.quick && !s.burst && !s.web_link,
        "a kiosk is at the desk by design"
    );
    s.through_link(Mode::Web, true, false);
    assert!(s.quick && !s.burst && s.web_link);
}

#[test]
fn counts_add_up_and_round_trip_their_columns() {
    let mut c = Counts::default();
    let s = Signals {
        web_link: true,
        quick: true,
        patterned: true,
        straight_lined: true,
        top_box_only: true,
        ..Signals::default()
    };
    c.add(&s, "web");
    c.add(&Signals::default(), "paper");
    assert_eq!((c.answers, c.quick, c.web, c.paper), (2, 1, 1, 1));
    assert_eq!(Counts::from_values(c.values()), c);
    assert_eq!(c.plus(&c).answers, 4);
    assert_eq!(COLUMNS.len(), c.values().len());
}

#[test]
fn patterns_read_the_index_items_only() {
    let form = crate::domain::forms::shipped("sipas-2017");
    let shape = ScoreShape::of(&form);
    let all = |level: i64| -> BTreeMap<String, Value> {
        shape
            .tree
            .items
            .iter()
            .map(|id| (id.clone(), json!(level)))
            .collect()
    };
    let top = Signals::of_answers(&shape, &all(5));
    assert!(top.patterned && top.straight_lined && top.top_box_only);
    let mid = Signals::of_answers(&shape, &all(3));
    assert!(mid.straight_lined && !mid.top_box_only);
    let mut mixed = all(5);
    let first = shape.tree.items[0].clone();
    mixed.insert(first, json!(4));
    let mixed = Signals::of_answers(&shape, &mixed);
    assert!(mixed.patterned && !mixed.straight_lined && !mixed.top_box_only);
    let few: BTreeMap<String, Value> = shape
        .tree
        .items
        .iter()
        .take(2)
        .map(|id| (id.clone(), json!(5)))
        .collect();
    assert_eq!(Signals::of_answers(&shape, &few), Signals::default());
}

#[test]
fn an_agency_far_above_the_rest_of_its_province_is_flagged() {
    let rules = Rules {
        suppress_below: 10,
        flag_margin: 0.2,
    };
    assert!(far_above((60, 60), (0, 60), rules));
    assert!(!far_above((0, 60), (60, 60), rules), "only the high side");
    assert!(!far_above((9, 9), (0, 60), rules), "too few answers");
    assert!(
        !far_above((60, 60), (0, 5), rules),
        "too few to compare with"
    );
    // Significant but small: 8 % against 5 % of large samples.
    assert!(!far_above((800, 10_000), (5_000, 100_000), rules));
    // A wide interval overlapping the rest's.
    assert!(!far_above((4, 10), (10, 60), rules));

    let mut own = Counts::default();
    for _ in 0..5 {
        own.add(&Signals::default(), "web");
    }
    let i = indicator(Kind::Paper, &own, &Counts::default(), rules);
    assert!(i.suppressed && i.share.is_none() && !i.flagged);
    assert!(mode_mix(&own, rules).is_none());
}
