//! Unit tests of the score buckets: what a response contributes, from its parsed and from its
//! stored answers, and the stored forms of a bucket.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use serde_json::json;

fn shape(key: &str) -> ScoreShape {
    ScoreShape::of(&crate::domain::forms::shipped(key))
}

fn answers(shape: &ScoreShape, level: impl Fn(usize) -> Option<i64>) -> BTreeMap<String, Value> {
    shape
        .tree
        .items
        .iter()
        .enumerate()
        .filter_map(|(j, id)| level(j).map(|l| (id.clone(), json!(l))))
        .collect()
}

#[test]
fn contributions_count_levels_satisfaction_and_766_rules() {
    let s = shape("sipas-2017");
    let n = s.n_items();
    assert_eq!(n, 22);
    let mut b = s.empty();
    // All 5: satisfied everywhere, dissatisfied under no rule.
    b.add(&s.contribution(&answers(&s, |_| Some(5)), true));
    // One 1 and the rest 4: mean above 3, not a majority low, but any_low.
    b.add(&s.contribution(&answers(&s, |j| Some(if j == 0 { 1 } else { 4 })), true));
    // Two answers, 2 and 3: mean 2.5 < 3, half low (not a majority), any low.
    b.add(&s.contribution(
        &answers(&s, |j| [Some(2), Some(3)].get(j).copied().flatten()),
        true,
    ));
    b.add(&s.contribution(&answers(&s, |_| Some(1)), false));
    assert_eq!((b.valid, b.invalid), (3, 1));
    assert_eq!(b.dissatisfied(DissatisfiedRule::MeanBelowNeutral), 1);
    assert_eq!(b.dissatisfied(DissatisfiedRule::MajorityLow), 0);
    assert_eq!(b.dissatisfied(DissatisfiedRule::AnyLow), 2);
    assert_eq!(b.levels[0], vec![1, 1, 0, 0, 1]);
    assert_eq!(b.levels[1], vec![0, 0, 1, 1, 1]);
    assert_eq!(b.levels[5], vec![0, 0, 0, 1, 1]);
    assert_eq!(b.moments.respondents(), 3);

    let packed = b.pack();
    let back = s.unpack(&packed).unwrap();
    assert_eq!(back, b);
    // Big counts survive; damaged bytes do not decode.
    let mut big = b.clone();
    big.valid = u64::MAX;
    big.levels[0][4] = 300;
    assert_eq!(s.unpack(&big.pack()).unwrap(), big);
    let mut longer = packed.clone();
    longer.push(0);
    let too_big: Vec<u8> = [vec![0xff; 10], vec![0x01]].concat();
    for bad in [
        &packed[..packed.len() - 1],
        &longer[..],
        &[0x80][..],
        &[][..],
        &too_big[..],
    ] {
        assert!(s.unpack(bad).is_err(), "{bad:?}");
        assert!(s.add_packed(bad, &mut s.empty()).is_err());
    }
    // Adding the packed bytes is merging the decoded bucket.
    let mut twice = b.clone();
    twice.merge(&back).unwrap();
    assert_eq!(twice.valid, 6);
    assert_eq!(twice.levels[0], vec![2, 2, 0, 0, 2]);
    let mut added = b.clone();
    s.add_packed(&packed, &mut added).unwrap();
    assert_eq!(added, twice);
    assert_eq!(packed_responses(&packed), Some(4));
    // Another form version's shape does not read them.
    assert!(shape("sipas-quick").unpack(&packed).is_err());
    assert!(
        shape("sipas-quick")
            .add_packed(&packed, &mut shape("sipas-quick").empty())
            .is_err()
    );
}

#[test]
fn stored_answers_contribute_as_the_parsed_ones() {
    let s = shape("sipas-2017");
    for text in [
        r#"{"s1":5,"s2":"x","s3":null,"p1":"once","e1":["a","b"],"comment":"{\"s4\":1}","s5":2.0,"s6":3}"#,
        r#"{"s1":1,"s1":4,"g1":"Hộ tịch","s22":5}"#,
        r#"{}"#,
    ] {
        let parsed: BTreeMap<String, Value> = serde_json::from_str(text).unwrap();
        for valid in [true, false] {
            assert_eq!(
                s.stored_contribution(text, valid).unwrap(),
                s.contribution(&parsed, valid),
                "{text}"
            );
        }
    }
    for bad in ["[1]", "{", "{} x", "4"] {
        assert!(s.stored_contribution(bad, true).is_err(), "{bad}");
    }
}
