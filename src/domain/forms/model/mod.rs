//! The validated form definition that the rest of the application uses: lookups of questions and
//! scales, the index tree, the satisfaction items, experience gating (methodology §3.8) and the
//! `Serialize` that produces the JSON of `GET /api/v1/forms/{key}` (api.md, "Forms").
//!
//! Values of these types only come out of [`super::validate`], so every reference inside them
//! (scale ids, option ids, condition targets, index items) resolves. The conditions and their
//! evaluation are in `gating`.

mod gating;

use std::collections::{BTreeMap, HashMap};

use serde::{Serialize, Serializer};
use utoipa::ToSchema;

pub use super::definition::{DisplayOrder, Prefill, QuestionKind, WordingStatus};
pub use gating::{Answers, Condition, ConditionValue};

/// A text keyed by language code: `{"vi": "…", "en": "…"}`. Every declared language is present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(transparent)]
pub struct Text(pub(super) BTreeMap<String, String>);

impl Text {
    /// The text in `language`, if the form has that language.
    pub fn get(&self, language: &str) -> Option<&str> {
        self.0.get(language).map(String::as_str)
    }

    /// The Vietnamese text (always present in a validated form).
    pub fn vi(&self) -> &str {
        self.get("vi").unwrap_or_default()
    }

    /// The text in `language`, falling back to Vietnamese.
    pub fn localized(&self, language: &str) -> &str {
        self.get(language).unwrap_or_else(|| self.vi())
    }

    /// Every (language, text) pair, sorted by language.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// Whether a form version is offered for new surveys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FormStatus {
    /// Offered.
    Published,
    /// Kept for existing results, not offered for new surveys.
    Retired,
}

/// The legal instrument a form implements.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LegalBasis {
    pub(super) instrument: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) note: Option<String>,
}

impl LegalBasis {
    /// Instrument number, e.g. `2640/QĐ-BNV`.
    pub fn instrument(&self) -> &str {
        &self.instrument
    }
    /// Date `YYYY-MM-DD`, when known.
    pub fn date(&self) -> Option<&str> {
        self.date.as_deref()
    }
    /// URL of the text, when known.
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }
}

/// The PAR edition a form feeds (methodology §4). `max_points` is null when unknown.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Par {
    pub(super) edition: String,
    pub(super) max_points: Option<f64>,
}

impl Par {
    /// PAR edition key, e.g. `par-province`.
    pub fn edition(&self) -> &str {
        &self.edition
    }
    /// Points of the criterion, when known.
    pub fn max_points(&self) -> Option<f64> {
        self.max_points
    }
}

/// One level of a scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Level {
    pub(super) value: i64,
    pub(super) label: Text,
}

impl Level {
    /// Stored code (higher = more positive).
    pub fn value(&self) -> i64 {
        self.value
    }
    /// Label per language.
    pub fn label(&self) -> &Text {
        &self.label
    }
}

/// An answer scale. JSON: `{"id","levels":[{"value","label"}],"satisfied":[…],"positive"?:[…],
/// "display_order"}`; `satisfied` is empty for a scale that is not a satisfaction scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Scale {
    pub(super) id: String,
    pub(super) levels: Vec<Level>,
    pub(super) satisfied: Vec<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) positive: Option<Vec<i64>>,
    pub(super) display_order: DisplayOrder,
}

impl Scale {
    /// Scale id, e.g. `sat5`.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// Levels, ascending.
    pub fn levels(&self) -> &[Level] {
        &self.levels
    }
    /// The level with this value.
    pub fn level(&self, value: i64) -> Option<&Level> {
        self.levels.iter().find(|l| l.value == value)
    }
    /// Whether `value` is a level.
    pub fn has_level(&self, value: i64) -> bool {
        self.level(value).is_some()
    }
    /// `satisfied_levels`; empty when this is not a satisfaction scale.
    pub fn satisfied_levels(&self) -> &[i64] {
        &self.satisfied
    }
    /// Whether items on this scale can enter the index tree.
    pub fn is_satisfaction(&self) -> bool {
        !self.satisfied.is_empty()
    }
    /// The counted levels: `satisfied_levels`, else `positive_levels`, else none (§3.3).
    pub fn counted_levels(&self) -> &[i64] {
        if self.is_satisfaction() {
            &self.satisfied
        } else {
            self.positive.as_deref().unwrap_or_default()
        }
    }
    /// Print order.
    pub fn display_order(&self) -> DisplayOrder {
        self.display_order
    }
}

/// One option of a choice question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ChoiceOption {
    pub(super) id: String,
    pub(super) label: Text,
}

impl ChoiceOption {
    /// Option id (the stored answer).
    pub fn id(&self) -> &str {
        &self.id
    }
    /// Label per language.
    pub fn label(&self) -> &Text {
        &self.label
    }
}

/// A question. JSON: `{"id","kind","text","heading"?,"scale"?,"options"?,"required","max_length"?,
/// "min"?,"max"?,"integer"?,"prefill"?,"condition"?,"visible_until"?,"wording_status"}`, where
/// `condition` is the effective one (the section's and the question's, combined with `all`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Question {
    pub(super) id: String,
    pub(super) kind: QuestionKind,
    pub(super) text: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) heading: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) scale: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) options: Vec<ChoiceOption>,
    pub(super) required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) max_length: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) min: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) max: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) integer: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) prefill: Option<Prefill>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) condition: Option<Condition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) visible_until: Option<String>,
    pub(super) wording_status: WordingStatus,
    #[serde(skip)]
    pub(super) hidden: bool,
    #[serde(skip)]
    pub(super) section: String,
}

impl Question {
    /// Question id.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// Answer kind.
    pub fn kind(&self) -> QuestionKind {
        self.kind
    }
    /// Text per language.
    pub fn text(&self) -> &Text {
        &self.text
    }
    /// Sub-heading printed before the question.
    pub fn heading(&self) -> Option<&Text> {
        self.heading.as_ref()
    }
    /// Scale id (kind `scale`).
    pub fn scale_id(&self) -> Option<&str> {
        self.scale.as_deref()
    }
    /// Options (choice kinds); empty otherwise.
    pub fn options(&self) -> &[ChoiceOption] {
        &self.options
    }
    /// The option with this id.
    pub fn option(&self, id: &str) -> Option<&ChoiceOption> {
        self.options.iter().find(|o| o.id == id)
    }
    /// Whether the online form needs an answer when the question is applicable.
    pub fn required(&self) -> bool {
        self.required
    }
    /// Maximum length in characters (kind `text`).
    pub fn max_length(&self) -> Option<u32> {
        self.max_length
    }
    /// Bounds (kind `number`).
    pub fn bounds(&self) -> (Option<i64>, Option<i64>) {
        (self.min, self.max)
    }
    /// Whether only whole numbers are accepted (kind `number`).
    pub fn integer_only(&self) -> bool {
        self.integer.unwrap_or(false)
    }
    /// Dossier fact that prefills the answer.
    pub fn prefill(&self) -> Option<Prefill> {
        self.prefill
    }
    /// The effective gate (section's and question's).
    pub fn condition(&self) -> Option<&Condition> {
        self.condition.as_ref()
    }
    /// Last fieldwork date on which the question is shown (`YYYY-MM-DD`).
    pub fn visible_until(&self) -> Option<&str> {
        self.visible_until.as_deref()
    }
    /// Whether the question is shown on fieldwork dated `date` (`YYYY-MM-DD`).
    pub fn visible_on(&self, date: &str) -> bool {
        !self.hidden
            && self
                .visible_until
                .as_deref()
                .is_none_or(|until| date <= until)
    }
    /// A reserved id: never shown, never accepted, left out of the JSON.
    pub fn hidden(&self) -> bool {
        self.hidden
    }
    /// Wording status.
    pub fn wording_status(&self) -> WordingStatus {
        self.wording_status
    }
    /// Id of the section the question is in.
    pub fn section_id(&self) -> &str {
        &self.section
    }
}

fn visible_questions<S: Serializer>(questions: &[Question], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(questions.iter().filter(|q| !q.hidden))
}

/// A section. JSON: `{"id","title","text"?,"wording_status"?,"condition"?,"questions":[…]}`
/// (hidden questions left out).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Section {
    pub(super) id: String,
    pub(super) title: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) text: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) wording_status: Option<WordingStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) condition: Option<Condition>,
    #[serde(serialize_with = "visible_questions")]
    pub(super) questions: Vec<Question>,
}

impl Section {
    /// Section id.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// Heading.
    pub fn title(&self) -> &Text {
        &self.title
    }
    /// Stem or instruction.
    pub fn text(&self) -> Option<&Text> {
        self.text.as_ref()
    }
    /// Wording status of the stem.
    pub fn wording_status(&self) -> Option<WordingStatus> {
        self.wording_status
    }
    /// The section's own gate (already folded into each question's condition).
    pub fn condition(&self) -> Option<&Condition> {
        self.condition.as_ref()
    }
    /// Questions in order, hidden ones included.
    pub fn questions(&self) -> &[Question] {
        &self.questions
    }
}

/// A node of the index tree. JSON: `{"id","label","children"?:[…],"items"?:[…]}`.
/// Its value is the unweighted mean of its non-null children, items and nodes alike (§3.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct IndexNode {
    pub(super) id: String,
    pub(super) label: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(no_recursion)]
    pub(super) children: Vec<IndexNode>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) items: Vec<String>,
}

impl IndexNode {
    /// Node id.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// Label per language.
    pub fn label(&self) -> &Text {
        &self.label
    }
    /// Child nodes.
    pub fn children(&self) -> &[IndexNode] {
        &self.children
    }
    /// Item ids (scale questions).
    pub fn items(&self) -> &[String] {
        &self.items
    }
    /// This node and its descendants, depth first, parents before children.
    pub fn descendants(&self) -> Vec<&IndexNode> {
        let mut out = Vec::new();
        self.push_dfs(&mut out);
        out
    }

    fn push_dfs<'a>(&'a self, out: &mut Vec<&'a IndexNode>) {
        out.push(self);
        for c in &self.children {
            c.push_dfs(out);
        }
    }

    /// The node with this id in this subtree.
    pub fn find(&self, id: &str) -> Option<&IndexNode> {
        if self.id == id {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(id))
    }

    /// Every item in this subtree, depth first.
    pub fn all_items(&self) -> Vec<&str> {
        self.descendants()
            .into_iter()
            .flat_map(|n| n.items.iter().map(String::as_str))
            .collect()
    }
}

/// The short listing of `GET /api/v1/forms`: `{"key","version","title","languages","edition","status"}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FormSummary {
    /// Form key.
    pub key: String,
    /// Version.
    pub version: u32,
    /// Title per language.
    pub title: Text,
    /// Languages.
    pub languages: Vec<String>,
    /// Methodology edition.
    pub edition: String,
    /// Published or retired.
    pub status: FormStatus,
}

/// Where a question sits: indices into `sections` and its position in the whole form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct QuestionPos {
    pub(super) section: usize,
    pub(super) question: usize,
}

/// A validated form version. Its `Serialize` gives the full-form JSON of api.md, plus
/// `status`, `closing`, `legal_basis`, `wording_source`, `par_eligible`, `eligibility` and
/// `checksum`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FormDefinition {
    pub(super) key: String,
    pub(super) version: u32,
    pub(super) edition: String,
    pub(super) status: FormStatus,
    pub(super) languages: Vec<String>,
    pub(super) title: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) intro: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) closing: Option<Text>,
    pub(super) legal_basis: LegalBasis,
    pub(super) wording_source: String,
    pub(super) scales: Vec<Scale>,
    pub(super) sections: Vec<Section>,
    pub(super) index: IndexNode,
    pub(super) par: Par,
    pub(super) par_eligible: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) eligibility: Option<Condition>,
    pub(super) checksum: String,
    #[serde(skip)]
    pub(super) positions: HashMap<String, QuestionPos>,
}

impl FormDefinition {
    /// Form key, e.g. `sipas-2017`.
    pub fn key(&self) -> &str {
        &self.key
    }
    /// Version (from 1).
    pub fn version(&self) -> u32 {
        self.version
    }
    /// Methodology edition, e.g. `2640`.
    pub fn edition(&self) -> &str {
        &self.edition
    }
    /// Published or retired.
    pub fn status(&self) -> FormStatus {
        self.status
    }
    /// Overrides the status (e.g. from the database). Not part of the checksum.
    pub fn set_status(&mut self, status: FormStatus) {
        self.status = status;
    }
    /// Languages, `vi` included.
    pub fn languages(&self) -> &[String] {
        &self.languages
    }
    /// Title per language.
    pub fn title(&self) -> &Text {
        &self.title
    }
    /// Introduction.
    pub fn intro(&self) -> Option<&Text> {
        self.intro.as_ref()
    }
    /// Closing line.
    pub fn closing(&self) -> Option<&Text> {
        self.closing.as_ref()
    }
    /// Legal basis.
    pub fn legal_basis(&self) -> &LegalBasis {
        &self.legal_basis
    }
    /// Where the wording comes from.
    pub fn wording_source(&self) -> &str {
        &self.wording_source
    }
    /// PAR edition and points.
    pub fn par(&self) -> &Par {
        &self.par
    }
    /// Whether the root value may feed the PAR Index by default.
    pub fn par_eligible(&self) -> bool {
        self.par_eligible
    }
    /// SHA-256 (lowercase hex) of the canonical JSON of the definition; comments, whitespace,
    /// key order and `retired` do not count.
    pub fn checksum(&self) -> &str {
        &self.checksum
    }
    /// Scales.
    pub fn scales(&self) -> &[Scale] {
        &self.scales
    }
    /// The scale with this id.
    pub fn scale(&self, id: &str) -> Option<&Scale> {
        self.scales.iter().find(|s| s.id == id)
    }
    /// The scale of a scale question.
    pub fn scale_of(&self, question_id: &str) -> Option<&Scale> {
        self.question(question_id)
            .and_then(|q| q.scale.as_deref())
            .and_then(|s| self.scale(s))
    }
    /// Sections in order.
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }
    /// Every question in form order, hidden ones included.
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.sections.iter().flat_map(|s| s.questions.iter())
    }
    /// The question with this id (hidden ones included).
    pub fn question(&self, id: &str) -> Option<&Question> {
        let pos = self.positions.get(id)?;
        self.sections.get(pos.section)?.questions.get(pos.question)
    }
    /// The root of the index tree.
    pub fn index(&self) -> &IndexNode {
        &self.index
    }
    /// Satisfaction items (the index tree's items), in form order.
    pub fn satisfaction_items(&self) -> Vec<&str> {
        let items = self.index.all_items();
        self.questions()
            .map(Question::id)
            .filter(|id| items.contains(id))
            .collect()
    }
    /// The index node that lists this item.
    pub fn node_of_item(&self, item: &str) -> Option<&IndexNode> {
        self.index
            .descendants()
            .into_iter()
            .find(|n| n.items.iter().any(|i| i == item))
    }
    /// Eligibility test (e.g. age ≥ 18 on household forms).
    pub fn eligibility(&self) -> Option<&Condition> {
        self.eligibility.as_ref()
    }
    /// The `GET /api/v1/forms` listing entry.
    pub fn summary(&self) -> FormSummary {
        FormSummary {
            key: self.key.clone(),
            version: self.version,
            title: self.title.clone(),
            languages: self.languages.clone(),
            edition: self.edition.clone(),
            status: self.status,
        }
    }
    /// Questions and section stems whose wording is not `official` (for `sipas forms check`):
    /// `(id, status)`, sections first by position.
    pub fn non_official_wordings(&self) -> Vec<(&str, WordingStatus)> {
        let mut out = Vec::new();
        for s in &self.sections {
            if let Some(st) = s.wording_status.filter(|st| *st != WordingStatus::Official) {
                out.push((s.id.as_str(), st));
            }
            for q in &s.questions {
                if q.wording_status != WordingStatus::Official {
                    out.push((q.id.as_str(), q.wording_status));
                }
            }
        }
        out
    }
}
