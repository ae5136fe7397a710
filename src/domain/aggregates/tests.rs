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
    // The indicator answers, of every JSON type, in and out of place (2017: p1 single choice,
    // o1 a grid row, e1 multiple choice; 2024: q8_1 on the yes/no scale).
    for (key, text) in [
        (
            "sipas-2017",
            r#"{"p1":["once"],"o1":4.0,"e1":"attitude","p2":{"a":1},"p3":true}"#,
        ),
        (
            "sipas-2017",
            r#"{"p1":"on\u0063e","o1":-4,"e1":[["attitude"],5,true,null,"attitude","competence"]}"#,
        ),
        (
            "sipas-2017",
            r#"{"p1":null,"o1":18446744073709551615,"e1":[{"x":["attitude"]}],"p2":"late","p2":"early"}"#,
        ),
        (
            "sipas-2017",
            r#"{"o1":5,"o1":[5],"e1":[],"e1":["lower_fees"]}"#,
        ),
        (
            "sipas-2024",
            r#"{"q8_1":1,"q8_2":"1","q8_3":true,"q2":["tv","tv","loudspeaker"],"q5":"none"}"#,
        ),
    ] {
        let s = shape(key);
        let parsed: BTreeMap<String, Value> = serde_json::from_str(text).unwrap();
        assert_eq!(
            s.stored_contribution(text, true).unwrap(),
            s.contribution(&parsed, true),
            "{text}"
        );
    }
    for bad in ["[1]", "{", "{} x", "4"] {
        assert!(s.stored_contribution(bad, true).is_err(), "{bad}");
    }
}

#[test]
fn the_indicator_questions_are_the_choices_and_grids_outside_the_index() {
    let ids = |key: &str| -> Vec<(String, ChoiceKind)> {
        (shape(key).choices().iter())
            .map(|c| (c.id.clone(), c.kind))
            .collect()
    };
    // 2017: the perception questions, the overall question and the wishes; not g1
    // (prefilled) nor the demographics.
    assert_eq!(
        ids("sipas-2017"),
        [
            ("p1".into(), ChoiceKind::SingleChoice),
            ("p2".into(), ChoiceKind::SingleChoice),
            ("p3".into(), ChoiceKind::SingleChoice),
            ("o1".into(), ChoiceKind::Grid),
            ("e1".into(), ChoiceKind::MultipleChoice),
        ]
    );
    let s = shape("sipas-2017");
    let o1 = &s.choices()[3];
    assert_eq!(o1.answers.len(), 5);
    assert_eq!(o1.positive, [3, 4]); // the satisfied levels 4 and 5
    // 2024: the grids (interest, suitability, experience, needs), channels, harassment,
    // informal payments; no satisfaction item, no demographic.
    let got = ids("sipas-2024");
    for id in [
        "q1_1", "q2", "q3_1", "q4", "q5", "q6", "q7_1", "q8_1", "q10_1",
    ] {
        assert!(got.iter().any(|(g, _)| g == id), "{id}: {got:?}");
    }
    assert!(
        got.iter()
            .all(|(g, _)| !g.starts_with("d_") && !g.starts_with("q9_"))
    );
    assert!(shape("sipas-quick").choices().is_empty());
}

#[test]
fn indicator_answers_are_counted_per_option_and_survive_packing() {
    let s = shape("sipas-2017");
    let mut b = s.empty();
    let texts = [
        // p1 once, p3 not suitable, o1 5, e1 two wishes (one repeated, one unknown).
        r#"{"s1":4,"p1":"once","p3":"not_suitable","o1":5,"e1":["attitude","lower_fees","attitude","x"]}"#,
        // A later duplicate wins; an unknown option or level is no answer; an empty list too.
        r#"{"s1":4,"p1":"twice","p1":"none","p2":"someday","o1":9,"e1":[]}"#,
        r#"{"s1":2,"p2":"late","o1":2,"e1":"attitude"}"#,
    ];
    for text in texts {
        let c = s.stored_contribution(text, true).unwrap();
        let parsed: BTreeMap<String, Value> = serde_json::from_str(text).unwrap();
        assert_eq!(c, s.contribution(&parsed, true), "{text}");
        b.add(&c);
    }
    // An invalid return adds no answer.
    b.add(&s.stored_contribution(texts[0], false).unwrap());
    let o = &b.options;
    assert_eq!((o.answered(0), o.counts(0)), (2, &[1, 1, 0, 0][..])); // p1
    assert_eq!((o.answered(1), o.counts(1)), (1, &[0, 0, 1][..])); // p2
    assert_eq!((o.answered(2), o.counts(2)), (1, &[0, 1][..])); // p3
    assert_eq!((o.answered(3), o.counts(3)), (2, &[0, 1, 0, 0, 1][..])); // o1
    let e1 = s.choices()[4]
        .answers
        .iter()
        .position(|a| a.key() == "attitude");
    assert_eq!(o.answered(4), 1);
    assert_eq!(o.counts(4)[e1.unwrap()], 1);
    assert_eq!(o.counts(4).iter().sum::<u64>(), 2);

    let packed = b.pack();
    assert_eq!(s.unpack(&packed).unwrap(), b);
    // Counts packed without the indicator answers (as stored before them) do not decode.
    let mut old = b.clone();
    old.options = OptionCounts::default();
    assert!(s.unpack(&old.pack()).is_err());
    let mut twice = b.clone();
    twice.merge(&b).unwrap();
    assert_eq!(twice.options.counts(3), [0, 2, 0, 0, 2]);

    // Read for the satisfaction items only (scanned breakdowns): the same item counts, no
    // indicator answer.
    let (mut full, mut items) = (s.empty(), s.empty());
    for text in texts {
        full.add(&s.stored_contribution(text, true).unwrap());
        items.add(&s.stored_item_contribution(text, true).unwrap());
    }
    assert_eq!((items.valid, &items.levels), (full.valid, &full.levels));
    assert_eq!(items.options, OptionCounts::empty(s.choices()));
    assert_ne!(full.options, items.options);
}
