//! Errors found while loading form definitions: one [`FormError`] per problem, each naming the
//! file, the line, the offending id and a fix hint; [`FormErrors`] carries all of a load's errors.
//!
//! Loading never stops at the first problem of a file's content (only a TOML syntax or schema
//! error, which leaves nothing to check, stops the checks of that file).

use std::fmt;

/// One problem in one form file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError {
    /// The file name (or the name given to [`super::parse_form_str`]).
    pub file: String,
    /// 1-based line of the offending key or table, when it is known.
    pub line: Option<usize>,
    /// The question, option, section, scale or node id concerned, when there is one.
    pub id: Option<String>,
    /// What is wrong.
    pub kind: FormErrorKind,
}

impl FormError {
    /// What to do to fix the problem.
    pub fn hint(&self) -> String {
        self.kind.hint()
    }
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": ")?;
        if let Some(id) = &self.id {
            write!(f, "[{id}] ")?;
        }
        write!(f, "{} (fix: {})", self.kind, self.kind.hint())
    }
}

impl std::error::Error for FormError {}

/// Every error of a load (one file or a whole directory), in file then line order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FormErrors(pub Vec<FormError>);

impl FormErrors {
    /// The errors, in order.
    pub fn errors(&self) -> &[FormError] {
        &self.0
    }

    /// Whether there is no error.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for FormErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} form definition error(s)", self.0.len())?;
        for e in &self.0 {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FormErrors {}

impl From<FormError> for FormErrors {
    fn from(e: FormError) -> Self {
        FormErrors(vec![e])
    }
}

/// What is wrong. The `Display` is the message; [`FormErrorKind::hint`] says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormErrorKind {
    /// The file or directory could not be read.
    #[error("cannot read: {message}")]
    Io { message: String },
    /// The file is not valid TOML.
    #[error("malformed TOML: {message}")]
    Syntax { message: String },
    /// Valid TOML that does not fit the format: unknown key, missing key, wrong type, unknown
    /// enum value.
    #[error("{message}")]
    Schema { message: String },
    /// The file name does not match the key and version inside it.
    #[error("file name does not match its content, expected `{expected}`")]
    FileName { expected: String },
    /// Two files define the same key and version.
    #[error("key and version already defined in `{other_file}`")]
    DuplicateForm { other_file: String },
    /// A file of `forms.dir` defines a key and version built into the binary, with other content.
    #[error(
        "form key and version already published: built into sipas with different content \
         (built-in checksum {built_in})"
    )]
    ChangesBuiltIn { built_in: String },
    /// The form key is not a lowercase slug.
    #[error("invalid form key `{key}`")]
    InvalidKey { key: String },
    /// The version is 0.
    #[error("version must be 1 or more")]
    InvalidVersion,
    /// An id does not have the allowed shape.
    #[error("invalid {what} id `{id}`")]
    InvalidId { what: &'static str, id: String },
    /// A required string is empty.
    #[error("`{field}` is empty")]
    EmptyValue { field: &'static str },
    /// A language code is not 2–3 lowercase letters.
    #[error("invalid language code `{language}`")]
    InvalidLanguage { language: String },
    /// A language is listed twice in `languages`.
    #[error("language `{language}` listed twice")]
    DuplicateLanguage { language: String },
    /// `languages` does not contain `vi`.
    #[error("`languages` must contain \"vi\"")]
    MissingVietnamese,
    /// A date is not `YYYY-MM-DD`.
    #[error("`{field}` is not a valid date: `{value}`")]
    InvalidDate { field: &'static str, value: String },
    /// `par.max_points` is not a positive finite number.
    #[error("`par.max_points` must be a positive number")]
    InvalidMaxPoints,
    /// A text object lacks one of the form's languages.
    #[error("`{field}` has no `{language}` text")]
    MissingTranslation { field: String, language: String },
    /// A text object has a language the form does not declare.
    #[error("`{field}` has text in `{language}`, which `languages` does not declare")]
    UndeclaredLanguage { field: String, language: String },
    /// A text is empty or blank.
    #[error("`{field}.{language}` is empty")]
    EmptyText { field: String, language: String },
    /// A text is not in Unicode NFC.
    #[error("`{field}.{language}` is not in Unicode NFC")]
    NotNfc { field: String, language: String },
    /// Two scales share an id.
    #[error("duplicate scale id")]
    DuplicateScale,
    /// A scale has fewer than 2 levels.
    #[error("a scale needs at least 2 levels")]
    TooFewLevels,
    /// Two levels of a scale share a value.
    #[error("duplicate level value {value}")]
    DuplicateLevel { value: i64 },
    /// Levels are not listed in ascending order of value.
    #[error("level {value} is out of order: levels must be listed with ascending values")]
    LevelsNotAscending { value: i64 },
    /// A scale has both `satisfied_levels` and `positive_levels`.
    #[error("a scale has either `satisfied_levels` or `positive_levels`, not both")]
    BothSatisfiedAndPositive,
    /// `satisfied_levels` or `positive_levels` is an empty list.
    #[error("`{field}` is empty")]
    EmptyCountedLevels { field: &'static str },
    /// A satisfied/positive level is not a level of the scale.
    #[error("`{field}` contains {value}, which is not a level of the scale")]
    CountedLevelOutsideScale { field: &'static str, value: i64 },
    /// A satisfied/positive level is listed twice.
    #[error("`{field}` lists {value} twice")]
    DuplicateCountedLevel { field: &'static str, value: i64 },
    /// Two sections share an id.
    #[error("duplicate section id")]
    DuplicateSection,
    /// A section has no question.
    #[error("section has no question")]
    EmptySection,
    /// Two questions share an id (anywhere in the form).
    #[error("duplicate question id (first defined on line {first_line})")]
    DuplicateQuestion { first_line: usize },
    /// A question refers to a scale that is not defined.
    #[error("unknown scale `{scale}`")]
    UnknownScale { scale: String },
    /// A field that the question's kind needs is missing.
    #[error("a `{kind}` question needs `{field}`")]
    MissingField {
        field: &'static str,
        kind: &'static str,
    },
    /// A field is given that the question's kind does not use.
    #[error("`{field}` is not allowed on a `{kind}` question")]
    FieldNotAllowed {
        field: &'static str,
        kind: &'static str,
    },
    /// A choice question has fewer than 2 options.
    #[error("a choice question needs at least 2 options")]
    TooFewOptions,
    /// Two options of one question share an id.
    #[error("duplicate option id `{option}`")]
    DuplicateOption { option: String },
    /// `min` is greater than `max`, or `max_length` is 0.
    #[error("invalid range: {detail}")]
    InvalidRange { detail: String },
    /// A hidden question is marked required.
    #[error("a hidden question cannot be required")]
    HiddenRequired,
    /// A section has a stem text but no `wording_status`.
    #[error("a section with `text` needs a `wording_status`")]
    MissingWordingStatus,
    /// A question looks like it collects a name, phone number or e-mail address.
    #[error("question appears to ask for personal data ({matched})")]
    PersonalData { matched: String },
    /// A condition is not exactly one of the allowed shapes.
    #[error("malformed condition: {problem}")]
    ConditionShape { problem: String },
    /// A condition refers to a question that does not exist.
    #[error("condition refers to unknown question `{question}`")]
    ConditionUnknownQuestion { question: String },
    /// A condition refers to the gated question itself or to a later question.
    #[error("condition refers to `{question}`, which is not asked before this point")]
    ConditionForwardReference { question: String },
    /// A condition refers to a hidden question, which is never answered.
    #[error("condition refers to hidden question `{question}`")]
    ConditionHiddenQuestion { question: String },
    /// A condition tests a question whose kind cannot gate (text), or uses a test that does not
    /// fit the kind (`in` on a number, `min`/`max` on a choice).
    #[error("condition cannot test `{question}` (a `{kind}` question) this way")]
    ConditionUnsupportedKind {
        question: String,
        kind: &'static str,
    },
    /// A value in `in` has the wrong type for the question.
    #[error("condition value {value} has the wrong type for `{question}`")]
    ConditionValueType { question: String, value: String },
    /// A value in `in` is not an option id or level of the question.
    #[error("condition value {value} is not an option or level of `{question}`")]
    ConditionUnknownValue { question: String, value: String },
    /// `index.root` names no node.
    #[error("index root `{root}` is not a node")]
    UnknownRoot { root: String },
    /// Two index nodes share an id.
    #[error("duplicate index node id")]
    DuplicateNode,
    /// An index node has neither children nor items.
    #[error("index node has neither `children` nor `items`")]
    EmptyNode,
    /// A node lists a child node that does not exist.
    #[error("unknown child node `{child}`")]
    UnknownNode { child: String },
    /// A node is the child of two nodes (or twice of one).
    #[error("node is already a child of `{first_parent}`")]
    NodeInTwoParents { first_parent: String },
    /// Nodes reference each other in a cycle.
    #[error("cycle in the index tree: {path}")]
    Cycle { path: String },
    /// A node cannot be reached from the root.
    #[error("index node is not reachable from the root")]
    UnreachableNode,
    /// A node lists an item that is not a question.
    #[error("unknown item `{item}`")]
    UnknownItem { item: String },
    /// A node lists an item that is not a scale question.
    #[error("item `{item}` is not a scale question")]
    ItemNotScale { item: String },
    /// A node lists an item whose scale has no `satisfied_levels`.
    #[error("item `{item}` uses scale `{scale}`, which has no `satisfied_levels`")]
    ItemNotSatisfaction { item: String, scale: String },
    /// A node lists a hidden question.
    #[error("item `{item}` is a hidden question")]
    HiddenItem { item: String },
    /// The index tree is deeper than the supported maximum.
    #[error("index tree is deeper than {max} levels")]
    IndexTooDeep { max: usize },
    /// An item is listed in two nodes (or twice in one).
    #[error("item `{item}` is already in node `{first_node}`")]
    ItemInTwoNodes { item: String, first_node: String },
}

impl FormErrorKind {
    /// What to do to fix the problem.
    pub fn hint(&self) -> String {
        use FormErrorKind as K;
        match self {
            K::Io { .. } => "check that the path exists and is readable".into(),
            K::Syntax { .. } => {
                "fix the TOML syntax at that line (quotes, brackets, `=`); see survey-forms/README.md".into()
            }
            K::Schema { .. } => {
                "use only the keys and value types documented in survey-forms/README.md".into()
            }
            K::FileName { expected } => format!("rename the file to `{expected}`"),
            K::DuplicateForm { .. } => {
                "give one of the files a new version number (published versions never change)".into()
            }
            K::ChangesBuiltIn { .. } => "a published version never changes: remove the file (the \
                built-in version is used), or give your change a new `version` number"
                .into(),
            K::InvalidKey { .. } => {
                "use lowercase letters, digits and `-`, starting with a letter (e.g. `sipas-2024`)".into()
            }
            K::InvalidVersion => "versions start at 1".into(),
            K::InvalidId { what, .. } => match *what {
                "node" => "use lowercase letters, digits, `_` and `.`, starting with a letter".into(),
                "option" => "use lowercase letters, digits and `_`".into(),
                _ => "use lowercase letters, digits and `_`, starting with a letter".into(),
            },
            K::EmptyValue { field } => format!("give `{field}` a value"),
            K::InvalidLanguage { .. } => "use an ISO 639-1 code such as \"vi\" or \"en\"".into(),
            K::DuplicateLanguage { .. } => "list each language once".into(),
            K::MissingVietnamese => "add \"vi\": Vietnamese is required on every form".into(),
            K::InvalidDate { .. } => "write the date as a string \"YYYY-MM-DD\"".into(),
            K::InvalidMaxPoints => "set `max_points` to a number above 0, or remove it".into(),
            K::MissingTranslation { field, language } => {
                format!("add `{field}.{language} = \"…\"` (every text needs every declared language)")
            }
            K::UndeclaredLanguage { language, .. } => {
                format!("remove the `{language}` text or add \"{language}\" to `languages`")
            }
            K::EmptyText { .. } => "write the text, or remove the question".into(),
            K::NotNfc { .. } => {
                "re-type the text with precomposed Vietnamese letters (Unicode NFC)".into()
            }
            K::DuplicateScale => "rename one of the scales".into(),
            K::TooFewLevels => "add levels: a scale has at least 2".into(),
            K::DuplicateLevel { .. } => "give each level its own value".into(),
            K::LevelsNotAscending { .. } => {
                "list levels from the lowest value to the highest (use `display_order` for printing)".into()
            }
            K::BothSatisfiedAndPositive => {
                "keep `satisfied_levels` for satisfaction scales, `positive_levels` for others".into()
            }
            K::EmptyCountedLevels { field } => format!("list at least one level in `{field}`, or remove it"),
            K::CountedLevelOutsideScale { field, .. } => {
                format!("list in `{field}` only values that appear in `levels`")
            }
            K::DuplicateCountedLevel { field, .. } => format!("list each value once in `{field}`"),
            K::DuplicateSection => "rename one of the sections".into(),
            K::EmptySection => "add questions to the section, or remove it".into(),
            K::DuplicateQuestion { .. } => {
                "rename one of the questions: ids are unique in the whole form".into()
            }
            K::UnknownScale { .. } => "use the id of a scale defined in `[[scales]]`, or define it".into(),
            K::MissingField { field, .. } => format!("add `{field}`"),
            K::FieldNotAllowed { field, .. } => {
                format!("remove `{field}`, or change `kind`")
            }
            K::TooFewOptions => "list at least 2 options".into(),
            K::DuplicateOption { .. } => "give each option of the question its own id".into(),
            K::InvalidRange { .. } => "make `min` ≤ `max` and `max_length` ≥ 1".into(),
            K::HiddenRequired => "remove `required = true` or `hidden = true`".into(),
            K::MissingWordingStatus => {
                "add `wording_status = \"official\" | \"reproduced\" | \"draft\"`".into()
            }
            K::PersonalData { .. } => {
                "remove the question: forms never ask for a name, phone number or e-mail (methodology §2.0)".into()
            }
            K::ConditionShape { .. } => {
                "write `{ question = \"q8_4\", in = [1] }`, `{ question = \"d_age\", min = 18 }`, `{ any = [...] }` or `{ all = [...] }`".into()
            }
            K::ConditionUnknownQuestion { .. } => "use the id of an existing question".into(),
            K::ConditionForwardReference { .. } => {
                "a condition may only test a question asked earlier in the form: move the gate question up".into()
            }
            K::ConditionHiddenQuestion { .. } => "gate on a question that is shown".into(),
            K::ConditionUnsupportedKind { .. } => {
                "gate with `in` on a scale, choice or yes_no question, or with `min`/`max` on a scale or number question".into()
            }
            K::ConditionValueType { .. } => {
                "use integers for scale levels, option ids (strings) for choices, true/false for yes_no".into()
            }
            K::ConditionUnknownValue { .. } => {
                "use a level value or option id that the question defines".into()
            }
            K::UnknownRoot { .. } => "set `index.root` to the id of a node in `[[index.nodes]]`".into(),
            K::DuplicateNode => "rename one of the nodes".into(),
            K::EmptyNode => "give the node `children`, `items`, or both; or remove it".into(),
            K::UnknownNode { .. } => "use the id of a node in `[[index.nodes]]`, or define it".into(),
            K::NodeInTwoParents { .. } => "list the node under one parent only: the index is a tree".into(),
            K::Cycle { .. } => "break the cycle: a node cannot be its own ancestor".into(),
            K::UnreachableNode => "list the node in the `children` of a node under the root, or remove it".into(),
            K::UnknownItem { .. } => "use the id of a scale question of this form".into(),
            K::ItemNotScale { .. } | K::ItemNotSatisfaction { .. } => {
                "index items must be scale questions on a scale with `satisfied_levels`".into()
            }
            K::HiddenItem { .. } => "remove the item from the index, or unhide the question".into(),
            K::ItemInTwoNodes { .. } => "list each item in one node only".into(),
            K::IndexTooDeep { .. } => "flatten the index tree".into(),
        }
    }
}
