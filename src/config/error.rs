//! What a bad setting stops the process with: [`ConfigError`], naming the key.

/// A setting that cannot work, with the key it came from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("configuration key `{key}`: {reason}")]
    Invalid { key: &'static str, reason: String },
}

/// Refuses the value of `key` for `reason`.
pub(super) fn invalid(key: &'static str, reason: impl Into<String>) -> Result<(), ConfigError> {
    Err(ConfigError::Invalid {
        key,
        reason: reason.into(),
    })
}

/// Refuses a `key` of 0.
pub(super) fn at_least_one(key: &'static str, value: u64) -> Result<(), ConfigError> {
    if value == 0 {
        invalid(key, "must be at least 1")
    } else {
        Ok(())
    }
}

/// Refuses a `key` outside `range`, for `reason`.
pub(super) fn within(
    key: &'static str,
    value: u32,
    range: std::ops::RangeInclusive<u32>,
    reason: &str,
) -> Result<(), ConfigError> {
    if range.contains(&value) {
        Ok(())
    } else {
        invalid(key, reason)
    }
}
