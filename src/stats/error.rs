//! The error type of the statistics core: invalid input (data or parameters), never "no data".
//!
//! "No data" (an item nobody answered, a component that is unavailable, a variance that is
//! undefined) is an `Option::None` in the results, not an error.

use thiserror::Error;

/// Why a statistics function refused its input.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StatsError {
    /// A confidence level outside (0, 1).
    #[error("confidence level {0} is not in (0, 1)")]
    InvalidConfidence(f64),
    /// A parameter outside its domain (the name says which one and the message what it needs).
    #[error("parameter `{name}` = {value} is invalid: {requirement}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// What the value must satisfy.
        requirement: &'static str,
    },
    /// A Likert answer other than 1..=5.
    #[error("answer code {0} is not on the 1..=5 scale")]
    InvalidAnswer(u8),
    /// A respondent with a different number of item slots than the sample.
    #[error("respondent {respondent} has {found} item slots, expected {expected}")]
    ItemCountMismatch {
        /// Position of the respondent in the input.
        respondent: usize,
        /// Number of items of the sample.
        expected: usize,
        /// Number of slots the respondent has.
        found: usize,
    },
    /// A respondent whose stratum index has no entry in the list of strata.
    #[error(
        "respondent {respondent} is in stratum {stratum}, but only {n_strata} strata are declared"
    )]
    UnknownStratum {
        /// Position of the respondent in the input.
        respondent: usize,
        /// The stratum index given.
        stratum: usize,
        /// Number of strata declared.
        n_strata: usize,
    },
    /// Moments of different items or index trees cannot be combined.
    #[error("the moments describe different items or index trees")]
    IncompatibleMoments,
    /// A weight that is not finite and positive.
    #[error("respondent {respondent} has weight {weight}; weights must be finite and positive")]
    InvalidWeight {
        /// Position of the respondent in the input.
        respondent: usize,
        /// The weight given.
        weight: f64,
    },
    /// A questionnaire with no answered item in a sample that must not contain any.
    #[error("respondent {respondent} answered no item (unit non-response must be dropped first)")]
    BlankQuestionnaire {
        /// Position of the respondent in the input.
        respondent: usize,
    },
    /// More respondents in a stratum than its population `N_h`: a data error.
    #[error("stratum {stratum} has {n} respondents but a population of {population}")]
    SampleExceedsPopulation {
        /// The stratum index.
        stratum: usize,
        /// Respondents in the stratum.
        n: usize,
        /// Its declared population.
        population: u64,
    },
    /// Expansion weights `N_h / n_h` were requested for a stratum whose `N_h` is unknown.
    #[error("stratum {stratum} has respondents but no population, so N_h/n_h is undefined")]
    MissingPopulation {
        /// The stratum index.
        stratum: usize,
    },
    /// An index tree refers to an item the sample does not have.
    #[error("the index tree refers to item {item}, but the sample has {n_items} items")]
    UnknownItem {
        /// The item index in the tree.
        item: usize,
        /// Number of items in the sample.
        n_items: usize,
    },
}
