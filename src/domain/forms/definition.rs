//! Serde types of the form-definition file format (`survey-forms/<key>.v<version>.toml`), exactly as
//! people write it, with source spans so that errors can name a line.
//!
//! Nothing here is validated: [`super::validate`] checks these types and turns them into the
//! [`super::FormDefinition`] the rest of the application uses. The format is documented, with an
//! annotated example, in `survey-forms/README.md`.
//!
//! These types also serialize (spans dropped) to compute the canonical checksum
//! ([`super::checksum`]). For that reason every optional key is skipped when absent and every
//! defaulted key is skipped when it has its default: adding a new optional key to the format must
//! not change the checksum of existing files.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use toml::Spanned;

/// A text in every language of the form: `{ vi = "…", en = "…" }` (or dotted keys `text.vi = "…"`).
pub type TextDef = Spanned<BTreeMap<String, String>>;

fn is_false(b: &bool) -> bool {
    !*b
}

/// A whole form file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FormFile {
    /// Form key, e.g. `sipas-2017`.
    pub key: Spanned<String>,
    /// Version, from 1.
    pub version: Spanned<u32>,
    /// Survey methodology edition, e.g. `2640`, `1001`.
    pub edition: Spanned<String>,
    /// Languages of every text; must contain `vi`.
    pub languages: Spanned<Vec<Spanned<String>>>,
    /// Where the question wording comes from.
    pub wording_source: Spanned<String>,
    /// Whether the root value may feed the PAR Index.
    pub par_eligible: bool,
    /// A retired form is no longer offered for new surveys. Lifecycle state, not content: it is
    /// left out of the checksum.
    #[serde(default, skip_serializing)]
    pub retired: bool,
    /// Form title.
    pub title: TextDef,
    /// Introduction shown before the questions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro: Option<TextDef>,
    /// Closing line shown after the questions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closing: Option<TextDef>,
    /// Eligibility test on the answers (e.g. age ≥ 18); blank answers leave the respondent eligible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eligibility: Option<Spanned<ConditionDef>>,
    /// Legal instrument the form implements.
    pub legal_basis: Spanned<LegalBasisDef>,
    /// PAR edition the form feeds.
    pub par: Spanned<ParDef>,
    /// Answer scales.
    pub scales: Vec<Spanned<ScaleDef>>,
    /// Sections, in order, each with its questions in order.
    pub sections: Vec<Spanned<SectionDef>>,
    /// The index tree.
    pub index: Spanned<IndexDef>,
}

/// `[legal_basis]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LegalBasisDef {
    /// Instrument number, e.g. `2640/QĐ-BNV`.
    pub instrument: Spanned<String>,
    /// Date of the instrument, `YYYY-MM-DD`, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Spanned<String>>,
    /// Where the text can be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Free remark (e.g. which criteria a derived form reuses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `[par]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ParDef {
    /// PAR edition key, e.g. `par-province`.
    pub edition: Spanned<String>,
    /// Points of the PAR criterion; absent when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_points: Option<Spanned<f64>>,
}

/// How a scale is printed: codes always run upward, the display order may not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisplayOrder {
    /// Lowest level first.
    #[default]
    Ascending,
    /// Highest level first.
    Descending,
}

impl DisplayOrder {
    fn is_default(&self) -> bool {
        *self == DisplayOrder::Ascending
    }
}

/// `[[scales]]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleDef {
    /// Scale id, e.g. `sat5`.
    pub id: Spanned<String>,
    /// Levels, ascending values.
    pub levels: Vec<Spanned<LevelDef>>,
    /// Levels that count as satisfied (satisfaction scales).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub satisfied_levels: Option<Spanned<Vec<i64>>>,
    /// Levels that count as positive (other ordinal scales).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positive_levels: Option<Spanned<Vec<i64>>>,
    /// Print order.
    #[serde(default, skip_serializing_if = "DisplayOrder::is_default")]
    pub display_order: DisplayOrder,
}

/// One level of a scale.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LevelDef {
    /// Code stored for the answer.
    pub value: Spanned<i64>,
    /// Label per language.
    pub label: TextDef,
}

/// Wording status of a question or section stem (methodology §0, §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WordingStatus {
    /// Compared with the official annex.
    Official,
    /// From a public reproduction of the official form.
    Reproduced,
    /// Unverified.
    Draft,
}

/// `[[sections]]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SectionDef {
    /// Section id.
    pub id: Spanned<String>,
    /// Heading.
    pub title: TextDef,
    /// Stem or instruction printed under the heading (e.g. a grid's question).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextDef>,
    /// Wording status of `text`; required when `text` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wording_status: Option<WordingStatus>,
    /// Gate for the whole section (experience filter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Spanned<ConditionDef>>,
    /// Questions, in order.
    pub questions: Vec<Spanned<QuestionDef>>,
}

/// Kind of answer a question takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// An integer level of `scale`.
    Scale,
    /// One option id.
    SingleChoice,
    /// A list of option ids.
    MultipleChoice,
    /// `true` or `false`.
    YesNo,
    /// Free text up to `max_length` characters.
    Text,
    /// A number, optionally an integer within `min`..=`max`.
    Number,
}

impl QuestionKind {
    /// The snake_case name used in files and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::Scale => "scale",
            QuestionKind::SingleChoice => "single_choice",
            QuestionKind::MultipleChoice => "multiple_choice",
            QuestionKind::YesNo => "yes_no",
            QuestionKind::Text => "text",
            QuestionKind::Number => "number",
        }
    }
}

/// A fact from the registered dossier used to prefill a question (methodology §2.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Prefill {
    /// The dossier's procedure field (`procedure_field`, else `procedure_code`).
    ProcedureField,
}

/// `[[sections.questions]]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionDef {
    /// Question id, unique in the form.
    pub id: Spanned<String>,
    /// Answer kind.
    pub kind: Spanned<QuestionKind>,
    /// Question (or grid row) text.
    pub text: TextDef,
    /// Wording status of `text` and its options.
    pub wording_status: WordingStatus,
    /// Whether the online form needs an answer (when the question is applicable).
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// Sub-heading printed before this question (e.g. a factor inside a grid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading: Option<TextDef>,
    /// Scale id (kind `scale`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<Spanned<String>>,
    /// Options (kinds `single_choice`, `multiple_choice`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Spanned<Vec<Spanned<OptionDef>>>>,
    /// Maximum length in characters (kind `text`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<Spanned<u32>>,
    /// Smallest accepted value (kind `number`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Spanned<i64>>,
    /// Largest accepted value (kind `number`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Spanned<i64>>,
    /// Whether only whole numbers are accepted (kind `number`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integer: Option<Spanned<bool>>,
    /// Dossier fact that prefills the answer (kind `text`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefill: Option<Spanned<Prefill>>,
    /// Gate on earlier answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Spanned<ConditionDef>>,
    /// Last fieldwork date (`YYYY-MM-DD`) on which the question is shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_until: Option<Spanned<String>>,
    /// Reserved id, never shown nor accepted.
    #[serde(default, skip_serializing_if = "is_false")]
    pub hidden: bool,
}

/// One option of a choice question.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OptionDef {
    /// Option id, unique in the question; the stored answer.
    pub id: Spanned<String>,
    /// Label per language.
    pub label: TextDef,
}

/// A condition, one of:
/// `{ question = "q8_4", in = [1] }`, `{ question = "d_age", min = 18 }`,
/// `{ any = [ … ] }`, `{ all = [ … ] }`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionDef {
    /// Question tested by an atom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<Spanned<String>>,
    /// Accepted answers (levels, option ids or booleans).
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    pub values: Option<Spanned<Vec<ConditionValueDef>>>,
    /// Smallest accepted answer (number or scale).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Spanned<i64>>,
    /// Largest accepted answer (number or scale).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Spanned<i64>>,
    /// True when any sub-condition is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any: Option<Spanned<Vec<Spanned<ConditionDef>>>>,
    /// True when every sub-condition is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<Spanned<Vec<Spanned<ConditionDef>>>>,
}

/// A value in a condition's `in` list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum ConditionValueDef {
    /// A yes_no answer.
    Bool(bool),
    /// A scale level.
    Int(i64),
    /// An option id.
    Str(String),
}

/// `[index]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IndexDef {
    /// Id of the root node.
    pub root: Spanned<String>,
    /// Every node, root included.
    pub nodes: Vec<Spanned<NodeDef>>,
}

/// `[[index.nodes]]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NodeDef {
    /// Node id, e.g. `pas.access`.
    pub id: Spanned<String>,
    /// Label per language.
    pub label: TextDef,
    /// Child node ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<Spanned<Vec<Spanned<String>>>>,
    /// Item ids (scale questions on a satisfaction scale).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Spanned<Vec<Spanned<String>>>>,
}
