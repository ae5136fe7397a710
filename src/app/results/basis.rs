//! What every view is computed from, set up once for the result, trend, ranking and PAR views:
//! the form and period a request names, checked ([`Named`]), then — once the view's own
//! parameters are checked and its agencies known — the form version shown, the options and the
//! inputs' revisions ([`Basis`]), from which the view's cache key, its counts and its
//! computation off the async threads (or the view kept) follow.

use std::sync::Arc;

use uuid::Uuid;

use super::access::published;
use super::context::Context;
use super::load::{Inputs, cached, load_counts, off_thread};
use super::request::{form_of, options, period};
use crate::domain::forms::PublishedForm;
use crate::domain::periods::{Month, Period};
use crate::domain::results::cache::{CacheKey, ViewCache};
use crate::domain::results::{Counts, Options, VersionChoice};
use crate::error::ApiError;

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
/// the published period, the options, and the revisions of its inputs.
pub(super) struct Basis<'a> {
    pub form: &'a Arc<PublishedForm>,
    pub version_choice: VersionChoice,
    pub period: Period,
    pub through: Option<Month>,
    pub options: Options,
    /// Every agency the view covers.
    pub ids: Vec<Uuid>,
    inputs: Inputs,
}

impl<'a> Basis<'a> {
    /// Reads the inputs' revisions for `ids` over the named period, chooses the version shown,
    /// and checks the options (`level`, `lang`).
    pub async fn read(
        cx: &Context<'a>,
        named: Named<'a>,
        ids: Vec<Uuid>,
        (level, lang): (&Option<String>, &Option<String>),
    ) -> Result<Self, ApiError> {
        let key = named.current.definition.key();
        let inputs = Inputs::read(cx, key, &ids, &named.period).await?;
        let (form, version_choice) = inputs.version(cx, named.current, named.requested)?;
        let options = options(cx.settings(), form, level, lang)?;
        Ok(Self {
            form,
            version_choice,
            period: named.period,
            through: named.through,
            options,
            ids,
            inputs,
        })
    }

    /// The cache key of the view `what` for `request` (whatever else the view depends on),
    /// with the version, the period and the options.
    pub fn key(&self, what: &str, request: &impl std::fmt::Debug) -> CacheKey {
        let version = (self.form.definition.version(), self.version_choice);
        let shown = (version, &self.period, &self.options);
        self.inputs.key(what, &(request, shown))
    }

    /// The counts of the view's agencies in the period (`load::load_counts`).
    pub async fn counts(&self, cx: &Context<'_>) -> Result<Counts, ApiError> {
        load_counts(cx, self.form, (&self.ids, &self.period), &self.inputs).await
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

    /// The view kept for `key` in `cache`; or else `compute`d from the counts on the blocking
    /// pool, and kept.
    pub async fn view<V, E>(
        &self,
        cx: &Context<'_>,
        (cache, key): (&ViewCache<V>, CacheKey),
        compute: impl FnOnce(&Counts, &PublishedForm, &Period, &Options) -> Result<V, E>
        + Send
        + 'static,
    ) -> Result<V, ApiError>
    where
        V: Clone + Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        cached(cache, key, async {
            let counts = self.counts(cx).await?;
            self.off_thread(move |form, period, options| compute(&counts, form, period, options))
                .await
        })
        .await
    }

    /// The last closed month, as views show it (`published_through`).
    pub fn published_through(&self) -> Option<String> {
        self.through.map(|m| m.to_string())
    }
}
