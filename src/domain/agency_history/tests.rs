#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use uuid::Uuid;

use super::*;

fn m(raw: &str) -> Month {
    Month::parse(raw).unwrap()
}

fn timeline(id: Uuid, name: &str, parent: Option<Uuid>) -> Timeline {
    Timeline {
        id,
        latest: Placement {
            name_vi: name.into(),
            name_en: None,
            parent,
        },
        revisions: Vec::new(),
        lifetime: Lifetime::default(),
    }
}

/// A province with two districts of two communes each.
struct Tree {
    h: Hierarchy,
    tinh: Uuid,
    huyen: [Uuid; 2],
    xa: [Uuid; 4],
    codes: HashMap<Uuid, String>,
}

fn tree() -> Tree {
    let tinh = Uuid::now_v7();
    let huyen = [Uuid::now_v7(), Uuid::now_v7()];
    let xa = [(); 4].map(|_| Uuid::now_v7());
    let mut all = vec![timeline(tinh, "Tỉnh", None)];
    all.extend(huyen.iter().map(|&h| timeline(h, "Huyện", Some(tinh))));
    all.extend(
        xa.iter()
            .enumerate()
            .map(|(i, &x)| timeline(x, "Xã", Some(huyen[i / 2]))),
    );
    let codes = all
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id, format!("A{i}")))
        .collect();
    Tree {
        h: Hierarchy::new(all),
        tinh,
        huyen,
        xa,
        codes,
    }
}

fn change(t: &Tree, id: Uuid, kind: ChangeKind) -> Change {
    Change {
        agency: id,
        code: t.codes[&id].clone(),
        kind,
    }
}

/// The reform: from July 2025 the districts end and communes 0 and 1 merge into a new commune
/// under the province, while 2 moves up and 3 merges into 2.
fn reform(t: &mut Tree) -> Uuid {
    let new = Uuid::now_v7();
    let mut opened = timeline(new, "Xã mới", Some(t.tinh));
    opened.lifetime.opened_from = Some(m("2025-07"));
    t.h.insert(opened);
    t.codes.insert(new, "NEW".into());
    let close_into = |s| ChangeKind::Close { successor: Some(s) };
    let changes = [
        change(t, t.xa[0], close_into(new)),
        change(t, t.xa[1], close_into(new)),
        change(
            t,
            t.xa[2],
            ChangeKind::Move {
                parent: Some(t.tinh),
            },
        ),
        change(t, t.xa[3], close_into(t.xa[2])),
        change(t, t.huyen[0], ChangeKind::Close { successor: None }),
        change(t, t.huyen[1], ChangeKind::Close { successor: None }),
    ];
    let codes = t.codes.clone();
    apply(&mut t.h, m("2025-07"), &changes, |id| codes[&id].clone()).unwrap();
    new
}

/// A new name for `id`.
fn renamed(t: &Tree, id: Uuid, vi: &str, en: Option<&str>) -> Change {
    let (name_vi, name_en) = (vi.into(), en.map(Into::into));
    change(t, id, ChangeKind::Rename { name_vi, name_en })
}

#[test]
fn placements_and_lifetimes_answer_for_each_month() {
    let mut t = tree();
    let rename = renamed(&t, t.xa[2], "Phường", Some("Ward"));
    let codes = t.codes.clone();
    apply(&mut t.h, m("2025-03"), &[rename], |id| codes[&id].clone()).unwrap();
    reform(&mut t);
    let x2 = t.h.timeline(t.xa[2]).unwrap();
    assert_eq!(x2.placement_in(m("2025-02")).name_vi, "Xã");
    assert_eq!(x2.placement_in(m("2025-02")).parent, Some(t.huyen[1]));
    assert_eq!(x2.placement_in(m("2025-03")).name_vi, "Phường");
    assert_eq!(x2.placement_in(m("2025-06")).parent, Some(t.huyen[1]));
    assert_eq!(x2.placement_in(m("2025-07")).parent, Some(t.tinh));
    assert_eq!(
        x2.placement_in(m("2025-07")).name_en.as_deref(),
        Some("Ward")
    );
    assert!(t.h.in_force(t.xa[0], m("2025-06")) && !t.h.in_force(t.xa[0], m("2025-07")));
    assert!(t.h.in_force_during(t.xa[0], (m("2025-01"), m("2025-12"))));
    assert!(!t.h.in_force_during(t.xa[0], (m("2025-07"), m("2025-12"))));
    assert_eq!(t.h.latest_change(), Some(m("2025-07")));
}

/// The agencies of `members`, sorted, with whether each is whole.
fn agencies_of(members: &[Member]) -> Vec<Uuid> {
    let mut v: Vec<Uuid> = members.iter().map(|m| m.agency).collect();
    v.sort_unstable();
    v
}

#[test]
fn subtrees_and_children_follow_the_hierarchy_of_the_period() {
    let mut t = tree();
    let new = reform(&mut t);
    let year = |y: &str| (m(&format!("{y}-01")), m(&format!("{y}-12")));
    // A district abolished in 2025 keeps its communes of 2024, and of the first half of 2025.
    let d0_2024 = t.h.members_during(t.huyen[0], year("2024"));
    assert_eq!(d0_2024[0], Member::whole(t.huyen[0]));
    assert_eq!(d0_2024.len(), 3);
    assert!(d0_2024.iter().all(Member::is_whole));
    assert!(agencies_of(&d0_2024).contains(&t.xa[0]) && agencies_of(&d0_2024).contains(&t.xa[1]));
    // Closed in July 2025, its communes are whole members of its 2025: they were nowhere else.
    let d0_2025 = t.h.members_during(t.huyen[0], year("2025"));
    assert_eq!(d0_2025.len(), 3);
    assert!(d0_2025.iter().all(Member::is_whole));
    assert_eq!(
        t.h.members_during(t.huyen[0], year("2026")),
        [Member::whole(t.huyen[0])]
    );
    let kids = |range| agencies_of(&t.h.children_in_months(t.tinh, range));
    assert_eq!(kids(year("2024")), {
        let mut v = t.huyen.to_vec();
        v.sort_unstable();
        v
    });
    assert_eq!(kids(year("2026")), {
        let mut v = vec![new, t.xa[2]];
        v.sort_unstable();
        v
    });
    // The year of the reform lists both.
    assert_eq!(kids(year("2025")).len(), 4);
    assert_eq!(t.h.members_during(t.tinh, year("2026")).len(), 3);
}

/// A commune moved in July from one district to another counts in the first's 2025 with its
/// months up to June and in the second's from July; in the province's, whole.
#[test]
fn a_move_within_a_period_splits_the_moved_agencys_months() {
    let mut t = tree();
    let moved = change(
        &t,
        t.xa[0],
        ChangeKind::Move {
            parent: Some(t.huyen[1]),
        },
    );
    let codes = t.codes.clone();
    apply(&mut t.h, m("2025-07"), &[moved], |id| codes[&id].clone()).unwrap();
    let year = (m("2025-01"), m("2025-12"));
    let part = |root: Uuid| {
        let all = t.h.members_during(root, year);
        all.into_iter().find(|x| x.agency == t.xa[0]).unwrap()
    };
    let first = part(t.huyen[0]);
    assert_eq!(first.months, Some(vec![(m("2025-01"), m("2025-06"))]));
    let second = part(t.huyen[1]);
    assert_eq!(second.months, Some(vec![(m("2025-07"), m("2025-12"))]));
    assert!(part(t.tinh).is_whole());
    // Each part counts under an id of its own, never an agency's, the same every time.
    let ids = [first.id(), second.id(), t.xa[0]];
    assert!(ids[0] != ids[1] && ids[0] != ids[2] && ids[1] != ids[2]);
    assert_eq!(ids[0].get_version_num(), 8);
    assert_eq!(part(t.huyen[0]).id(), ids[0]);
    // Within a quarter: the months of it the part has.
    assert_eq!(
        first.within(m("2025-04"), m("2025-09")),
        [(m("2025-04"), m("2025-06"))]
    );
    assert!(second.within(m("2025-01"), m("2025-06")).is_empty());
    // A period after the move: whole in the second, absent from the first.
    let h2 = (m("2025-07"), m("2025-12"));
    assert!(!agencies_of(&t.h.members_during(t.huyen[0], h2)).contains(&t.xa[0]));
    assert!((t.h.members_during(t.huyen[1], h2).iter()).any(|x| *x == Member::whole(t.xa[0])));
    // As a child of each district, the same months; under a part-year child, its subtree too.
    let child = (t.h.children_in_months(t.huyen[1], year).into_iter())
        .find(|x| x.agency == t.xa[0])
        .unwrap();
    assert_eq!(child.months, second.months);
    let own = Member::whole(t.xa[0]);
    assert_eq!(
        own.during(child.months.as_deref(), year),
        Some(second.clone())
    );
    assert_eq!(own.during(None, year), Some(own.clone()));
    assert_eq!(first.during(second.months.as_deref(), year), None);
}

/// Lists name an agency as at the end of the period, or of its last month in force in it.
#[test]
fn the_name_shown_for_a_period_is_the_one_in_force_at_its_end() {
    let mut t = tree();
    let rename = renamed(&t, t.xa[0], "Phường", None);
    let codes = t.codes.clone();
    apply(&mut t.h, m("2025-04"), &[rename], |id| codes[&id].clone()).unwrap();
    let close = change(&t, t.xa[0], ChangeKind::Close { successor: None });
    apply(&mut t.h, m("2025-07"), &[close], |id| codes[&id].clone()).unwrap();
    let name =
        |a: &str, b: &str| (t.h.placement_for(t.xa[0], (m(a), m(b))).unwrap().name_vi).clone();
    assert_eq!(name("2025-01", "2025-03"), "Xã");
    assert_eq!(name("2025-01", "2025-12"), "Phường");
    assert_eq!(name("2024-01", "2024-12"), "Xã");
}

#[test]
fn predecessors_are_found_through_every_merge() {
    let mut t = tree();
    let new = reform(&mut t);
    let preds: Vec<Uuid> = t.h.predecessors(new).iter().map(|p| p.0).collect();
    let mut want = vec![t.xa[0], t.xa[1]];
    want.sort_unstable();
    assert_eq!(preds, want);
    assert_eq!(t.h.predecessors(t.xa[2]), [(t.xa[3], m("2025-07"))]);
    // A later merge of the new commune into another keeps the earlier predecessors.
    let codes = t.codes.clone();
    let later = change(
        &t,
        new,
        ChangeKind::Close {
            successor: Some(t.xa[2]),
        },
    );
    apply(&mut t.h, m("2026-01"), &[later], |id| codes[&id].clone()).unwrap();
    assert_eq!(t.h.predecessors(t.xa[2]).len(), 4);
}

#[test]
fn changes_that_break_the_hierarchy_are_refused_with_their_index() {
    let mut t = tree();
    let codes = t.codes.clone();
    let code_of = |id: Uuid| codes[&id].clone();
    let changes = [
        // The province below one of its own districts.
        change(
            &t,
            t.tinh,
            ChangeKind::Move {
                parent: Some(t.huyen[0]),
            },
        ),
        // A district closed while its communes stay.
        change(&t, t.huyen[1], ChangeKind::Close { successor: None }),
        // Merged into itself.
        change(
            &t,
            t.xa[0],
            ChangeKind::Close {
                successor: Some(t.xa[0]),
            },
        ),
        // Merged into one that closes in the same month.
        change(
            &t,
            t.xa[1],
            ChangeKind::Close {
                successor: Some(t.xa[0]),
            },
        ),
    ];
    let errors = apply(&mut t.h.clone(), m("2025-07"), &changes, code_of).unwrap_err();
    let got: Vec<(usize, &str)> = errors.iter().map(|(i, e)| (*i, e.code())).collect();
    assert_eq!(
        got,
        [
            (0, "parent_loop"),
            (1, "agency_has_children"),
            (2, "invalid_successor"),
            (3, "invalid_successor"),
        ]
    );
    // Once closed, an agency cannot change again.
    let close = change(&t, t.xa[0], ChangeKind::Close { successor: None });
    apply(&mut t.h, m("2025-07"), &[close], code_of).unwrap();
    let rename = change(
        &t,
        t.xa[0],
        ChangeKind::Rename {
            name_vi: "X".into(),
            name_en: None,
        },
    );
    let errors = apply(&mut t.h, m("2025-08"), &[rename], code_of).unwrap_err();
    assert_eq!(errors[0].1.code(), "agency_closed");
}

#[test]
fn months_must_follow_publication_and_the_latest_change() {
    let ok = check_month(m("2025-07"), Some(m("2025-06")), Some(m("2025-07")));
    assert_eq!(ok, Ok(()));
    let published = check_month(m("2025-06"), Some(m("2025-06")), None).unwrap_err();
    assert_eq!(published.code(), "change_in_published_month");
    let early = check_month(m("2025-05"), None, Some(m("2025-07"))).unwrap_err();
    assert_eq!(early.code(), "change_out_of_order");
}

#[test]
fn a_combined_figure_is_withheld_when_it_gives_a_small_part_back() {
    // Nothing published alone: nothing to subtract.
    assert!(combined_is_safe(&[4, 7], 10));
    // 40 published, 4 not: the combined 44 minus 40 gives the 4 back.
    assert!(!combined_is_safe(&[40, 4], 10));
    // The small parts add up to a group large enough to be published.
    assert!(combined_is_safe(&[40, 4, 7], 10));
    // Every part published, or parts without answers.
    assert!(combined_is_safe(&[40, 12, 0], 10));
    assert!(combined_is_safe(&[], 10));
}
