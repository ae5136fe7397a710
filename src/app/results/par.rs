//! Every readable agency's SIPAS in PAR terms (methodology §4): `GET /api/v1/par/scores` and
//! the dashboard's PAR download.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::access::{agency_ref_in, members, subtree_subject};
use super::basis::{Basis, Named};
use super::context::Context;
use super::parts::Parts;
use super::request::{ParQuery, choice, flag, invalid};
use crate::domain::agencies::{Agency, AgencyKind};
use crate::domain::auth::Principal;
use crate::domain::periods::Month;
use crate::domain::results::{self, ParScoresView, Subject};
use crate::error::ApiError;
use crate::persistence::{agencies, agency_history};

/// Every agency's SIPAS in PAR terms (methodology §4) — of the agencies `caller` may read: all
/// of them for the pipeline and admins, an agency principal's own subtree — and whether CSV was
/// asked for with `format=` (`None`: not said; the API then looks at `Accept`).
pub(super) async fn compute_par_scores(
    cx: &Context<'_>,
    caller: &Principal,
    q: &ParQuery,
) -> Result<(ParScoresView, Option<bool>), ApiError> {
    let named = Named::check(cx, (&q.form, &q.version), (&q.period, &q.from, &q.to)).await?;
    let kind = choice(
        "kind",
        &q.kind,
        None,
        |v| AgencyKind::parse(v).ok().map(Some),
        "ministry, province, department, district, commune or other",
    )?;
    let subtree = flag("subtree", &q.subtree)?;
    let csv = match q.format.as_deref().filter(|v| !v.is_empty()) {
        Some("csv") => Some(true),
        Some("json") => Some(false),
        Some(_) => return Err(invalid("format", "invalid_value", "must be json or csv")),
        None => None,
    };
    let range = (named.asked.first(), named.asked.last());
    let (subjects, ids) = readable_subjects(cx, caller, kind, subtree, range).await?;
    let basis = Basis::read(cx, named, ids, (&q.level, &None)).await?;
    let mut view = {
        let counts = basis.counts(cx).await?;
        let listed = subjects.clone();
        let scores = basis
            .off_thread(move |form, period, options| {
                results::par_rows(&counts, &listed, &form.definition, period, options)
            })
            .await?;
        let definition = &basis.form.definition;
        ParScoresView {
            edition: definition.par().edition().to_owned(),
            period: basis.period.label().to_owned(),
            form: results::form_ref(definition, basis.version_choice),
            subtree,
            level: basis.options.level,
            scores,
            published_through: None,
        }
    };
    view.published_through = basis.published_through();
    Ok((view, csv))
}

/// The agencies `caller` may read (of `kind`, if given) that are in force in some month of
/// `range` (issue 21: a closed agency leaves the lists of periods after it closed), named as at
/// the end of `range`, each alone or with its subtree of the period (month by month), and the
/// ids of every agency they cover.
async fn readable_subjects(
    cx: &Context<'_>,
    caller: &Principal,
    kind: Option<AgencyKind>,
    subtree: bool,
    range: (Month, Month),
) -> Result<(Vec<Subject>, (Vec<Uuid>, Parts)), ApiError> {
    let hierarchy = agency_history::load(cx.db).await?;
    let listed: Vec<Agency> = (agencies::list_all(cx.db, None).await?.into_iter())
        .filter(|a| caller.may_read_agency(&a.path))
        .filter(|a| kind.is_none_or(|k| a.kind == k))
        .filter(|a| hierarchy.in_force_during(a.id, range))
        .collect();
    let trees = match subtree {
        true => hierarchy.memberships_during(range),
        false => HashMap::new(),
    };
    let mut parts = Parts::default();
    let subjects: Vec<Subject> = (listed.iter())
        .map(|a| {
            let root = agency_ref_in(a, &hierarchy, range);
            match subtree {
                true => subtree_subject(root, &trees, &mut parts),
                false => Subject::Agency(root),
            }
        })
        .collect();
    let ids: Vec<Uuid> = {
        let mut set: HashSet<Uuid> = HashSet::new();
        for s in &subjects {
            set.extend(members(s));
        }
        set.into_iter().collect()
    };
    Ok((subjects, (ids, parts)))
}
