//! The stored form of a bucket (a roll-up's counts): every count as an unsigned LEB128 varint,
//! in a fixed order — valid, invalid, the three Decision 766 counts, each item's level counts,
//! `Moments::to_counts`, then per indicator question its respondents and answer counts — written by [`BucketCounts::pack`], read by [`ScoreShape::add_packed`]
//! straight into the sums it adds to.

use super::{BucketCounts, BucketError, ScoreShape};
use crate::stats::StatsError;

impl ScoreShape {
    /// Adds a bucket packed by [`BucketCounts::pack`] to `into` (a bucket of this shape).
    ///
    /// # Errors
    /// When the bytes are not a bucket of this shape; `into` is then to be discarded.
    pub fn add_packed(&self, bytes: &[u8], into: &mut BucketCounts) -> Result<(), BucketError> {
        self.add_numbers(&mut Varints { bytes, at: 0 }, into)
    }

    /// Reads a bucket packed by [`BucketCounts::pack`] (the stored form of a roll-up).
    ///
    /// # Errors
    /// When the bytes are not a bucket of this shape.
    pub fn unpack(&self, bytes: &[u8]) -> Result<BucketCounts, BucketError> {
        let mut counts = self.empty();
        self.add_packed(bytes, &mut counts)?;
        Ok(counts)
    }

    /// Adds the numbers of a bucket, in the order [`BucketCounts::pack`] writes them.
    fn add_numbers(
        &self,
        numbers: &mut Varints<'_>,
        into: &mut BucketCounts,
    ) -> Result<(), BucketError> {
        if into.levels.len() != self.levels.len() {
            return Err(BucketError);
        }
        let mut next = || numbers.next().ok_or(BucketError);
        into.valid += next()?;
        into.invalid += next()?;
        for d in &mut into.dissatisfied {
            *d += next()?;
        }
        for (counts, levels) in into.levels.iter_mut().zip(&self.levels) {
            if counts.len() != levels.len() {
                return Err(BucketError);
            }
            for c in counts.iter_mut() {
                *c += next()?;
            }
        }
        into.moments
            .add_each(|| numbers.next())
            .map_err(|_: StatsError| BucketError)?;
        if into.options.len()
            != self
                .choices
                .iter()
                .map(|c| 1 + c.answers.len())
                .sum::<usize>()
        {
            return Err(BucketError);
        }
        for c in into.options.numbers_mut() {
            *c += numbers.next().ok_or(BucketError)?;
        }
        if numbers.at >= numbers.bytes.len() {
            Ok(())
        } else {
            Err(BucketError)
        }
    }
}

/// The responses a packed bucket counts (valid and invalid, its first two numbers), without
/// decoding the rest; `None` when the bytes do not start with two varints.
pub fn packed_responses(bytes: &[u8]) -> Option<u64> {
    let mut numbers = Varints { bytes, at: 0 };
    Some(numbers.next()? + numbers.next()?)
}

impl BucketCounts {
    /// Every count as an unsigned LEB128 varint, one after the other: the stored form of a
    /// roll-up (`score_rollups.counts`), read with [`ScoreShape::add_packed`]. Most counts take
    /// one byte.
    pub fn pack(&self) -> Vec<u8> {
        let numbers = self.numbers();
        let mut out = Vec::with_capacity(2 * numbers.len());
        for mut n in numbers {
            loop {
                let b = (n & 0x7f) as u8;
                n >>= 7;
                if n == 0 {
                    out.push(b);
                    break;
                }
                out.push(b | 0x80);
            }
        }
        out
    }

    /// Every count, in the stored order: valid, invalid, the three Decision 766 counts, each
    /// item's level counts, `Moments::to_counts`, the indicator questions' counts.
    fn numbers(&self) -> Vec<u64> {
        let moments = self.moments.to_counts();
        let levels = self.levels.iter().map(Vec::len).sum::<usize>();
        let mut out = Vec::with_capacity(5 + levels + moments.len() + self.options.len());
        out.extend([self.valid, self.invalid]);
        out.extend(self.dissatisfied);
        out.extend(self.levels.iter().flatten());
        out.extend(moments);
        out.extend(self.options.numbers());
        out
    }
}

/// Reads LEB128 varints from bytes.
struct Varints<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Varints<'_> {
    #[inline]
    fn next(&mut self) -> Option<u64> {
        // Most counts are below 128: one byte, no loop.
        let first = *self.bytes.get(self.at)?;
        if first < 0x80 {
            self.at += 1;
            return Some(u64::from(first));
        }
        varint(|| {
            let b = *self.bytes.get(self.at)?;
            self.at += 1;
            Some(b)
        })
    }
}

/// Reads one LEB128 varint, a byte at a time from `byte`; `None` when the bytes end first or
/// the number does not fit in 64 bits.
#[inline]
fn varint(mut byte: impl FnMut() -> Option<u8>) -> Option<u64> {
    let mut value = 0_u64;
    let mut shift = 0_u32;
    loop {
        let b = byte()?;
        if shift >= 64 {
            return None;
        }
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(value);
        }
        shift += 7;
    }
}
