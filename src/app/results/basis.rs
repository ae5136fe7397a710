//! What every view is computed from, set up once for the result, trend, ranking and PAR views:
//! the form and period a request names, checked ([`Named`]), then — once the view's own
//! parameters are checked and its agencies known — the form version shown and the options
//! ([`Basis`]), from which the view's roll-ups and its computation off the async threads follow.

use std::collections::BTreeSet;
use std::sync::Arc;

use uuid::Uuid;

use super::access::published;
use super::context::Context;
use super::load::{keys, load_counts, off_thread, spans_of, unexpected};
use super::parts::Parts;
use super::request::{form_of, options, period};
use crate::domain::forms::PublishedForm;
use crate::domain::periods::{Month, Period};
use crate::domain::results::{self, Counts, Options, VersionChoice};
use crate::domain::spans::Span;
use crate::error::ApiError;
use crate::persistence::rollups;

/// The form and the period a request names, checked (`form`, `version`; `period` or `from` and
/// `to`), in the order the API checks them.
pub(super) struct Named<'a> {
    /// The form's current version, and the version asked for.
    current: &'a Arc<PublishedForm>,
    requested: Option<u32>,
    /// The period asked for.
    pub asked: Period,
    /// Its published part (`access::published`), and the last closed month.
    pub period: Period,
    pub through: Option<Month>,
}

impl<'a> Named<'a> {
    /// Checks the form, its version and the period of a request.
    pub async fn check(
        cx: &Context<'a>,
        (form, version): (&Option<String>, &Option<String>),
        (asked, from, to): (&Option<String>, &Option<String>, &Option<String>),
    ) -> Result<Self, ApiError> {
        let (current, requested) = form_of(cx.forms, form, version)?;
        let asked = period(asked, from, to)?;
        let (period, through) = published(cx.db, &asked).await?;
        Ok(Self {
            current,
            requested,
            asked,
            period,
            through,
        })
    }
}

/// What a view of `ids` is computed from: the form version it shows and how that was chosen,
/// the published period and the options.
pub(super) struct Basis<'a> {
    pub form: &'a Arc<PublishedForm>,
    pub version_choice: VersionChoice,
    pub period: Period,
    pub through: Option<Month>,
    pub options: Options,
    /// Every agency the view covers (a part-period member under its own id, [`Parts`]).
    pub ids: Vec<Uuid>,
    /// The members of `ids` that count for part of the period.
    pub parts: Parts,
}

impl<'a> Basis<'a> {
    /// Chooses the version shown (the one asked for, else the newest `ids` have responses of
    /// in the published period, else the current one) and checks the options (`level`,
    /// `lang`).
    pub async fn read(
        cx: &Context<'a>,
        named: Named<'a>,
        (ids, parts): (Vec<Uuid>, Parts),
        (level, lang): (&Option<String>, &Option<String>),
    ) -> Result<Self, ApiError> {
        let current = named.current;
        let (key, spans) = (current.definition.key(), keys(&spans_of(&named.period)));
        let with_data = match (named.requested, spans.is_empty()) {
            (None, false) => rollups::versions(cx.db, &parts.agencies(&ids), key, &spans).await?,
            _ => Vec::new(),
        };
        let (version, version_choice) =
            results::choose_version(with_data, named.requested, current.definition.version());
        let form = cx.forms.version(key, version).ok_or_else(|| {
            unexpected(format!(
                "responses of {key} v{version}, a version not loaded"
            ))
        })?;
        let options = options(cx.settings(), form, level, lang)?;
        Ok(Self {
            form,
            version_choice,
            period: named.period,
            through: named.through,
            options,
            ids,
            parts,
        })
    }

    /// The roll-ups of the view's agencies over the period's spans (`load::load_counts`).
    pub async fn counts(&self, cx: &Context<'_>) -> Result<Counts, ApiError> {
        self.counts_in(cx, spans_of(&self.period)).await
    }

    /// The roll-ups of the view's agencies over `spans`, a part-period member's over its
    /// months ([`Parts::fill`]).
    pub async fn counts_in(
        &self,
        cx: &Context<'_>,
        spans: BTreeSet<Span>,
    ) -> Result<Counts, ApiError> {
        let whole = self.parts.whole(&self.ids);
        let mut counts = load_counts(cx, self.form, &whole, spans.clone()).await?;
        self.parts.fill(cx, self.form, &mut counts, &spans).await?;
        Ok(counts)
    }

    /// Runs `compute` over the form version, the period and the options on the blocking pool
    /// (`load::off_thread`).
    pub async fn off_thread<V, E>(
        &self,
        compute: impl FnOnce(&PublishedForm, &Period, &Options) -> Result<V, E> + Send + 'static,
    ) -> Result<V, ApiError>
    where
        V: Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        let (form, period) = (self.form.clone(), self.period.clone());
        let options = self.options.clone();
        off_thread(move || compute(&form, &period, &options)).await
    }

    /// The view `compute`d from the roll-ups of `spans` on the blocking pool.
    pub async fn view<V, E>(
        &self,
        cx: &Context<'_>,
        spans: BTreeSet<Span>,
        compute: impl FnOnce(&Counts, &PublishedForm, &Period, &Options) -> Result<V, E>
        + Send
        + 'static,
    ) -> Result<V, ApiError>
    where
        V: Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        let counts = self.counts_in(cx, spans).await?;
        self.off_thread(move |form, period, options| compute(&counts, form, period, options))
            .await
    }

    /// The last closed month, as views show it (`published_through`).
    pub fn published_through(&self) -> Option<String> {
        self.through.map(|m| m.to_string())
    }
}
