//! The rotation of sampled backup verification.
//!
//! Every blob has a phase in the rotation period, derived from its hash. A sampled
//! verification at time `now` re-hashes the blobs whose phase lies in the window
//! since the previous sampled verification of the same target: consecutive windows
//! tile the period, so every blob is re-hashed once per rotation period. The
//! rotation period is the coverage period minus one day, so with sampled
//! verification at least daily every blob is re-hashed within the coverage period.
//! A first verification, or one after a gap of a whole period, re-hashes everything.

use crate::hash::BlobHash;

/// The longest interval between sampled verifications the guarantee allows.
pub const SCHEDULE_INTERVAL_SECS: i64 = 86_400;

/// The rotation period (seconds) for a coverage period in days.
pub fn rotation_period(coverage_days: u32) -> i64 {
    (i64::from(coverage_days) * 86_400 - SCHEDULE_INTERVAL_SECS).max(SCHEDULE_INTERVAL_SECS)
}

/// A blob's phase in `[0, period)`, uniform because BLAKE3 output is.
pub fn phase(hash: &BlobHash, period: i64) -> i64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash.as_bytes()[..8]);
    let x = u64::from_le_bytes(first) as u128;
    ((x * period.max(1) as u128) >> 64) as i64
}

/// Whether a sampled verification at `now` re-hashes `hash`, given the time of the
/// previous one (unix seconds).
pub fn due(hash: &BlobHash, previous: Option<i64>, now: i64, period: i64) -> bool {
    let Some(prev) = previous else {
        return true;
    };
    if now - prev >= period {
        return true;
    }
    if now <= prev {
        return false;
    }
    let ph = phase(hash, period);
    let a = prev.rem_euclid(period);
    let b = now.rem_euclid(period);
    if a < b {
        ph > a && ph <= b
    } else {
        ph > a || ph <= b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_of_consecutive_runs_cover_each_blob_exactly_once_per_period() {
        let period = 1000;
        let hashes: Vec<BlobHash> = (0..300u32)
            .map(|i| BlobHash::of(&i.to_le_bytes()))
            .collect();
        // Runs every 7 s for exactly one period after a first full run at t=5.
        let times: Vec<i64> = (0..)
            .map(|k| 5 + 7 * k)
            .take_while(|t| *t <= 5 + period)
            .collect();
        let mut counts = vec![0; hashes.len()];
        for w in times.windows(2) {
            for (i, h) in hashes.iter().enumerate() {
                if due(h, Some(w[0]), w[1], period) {
                    counts[i] += 1;
                }
            }
        }
        // The last run is 5 + 994; the rest of the circle (6 s) falls to the next run.
        assert!(counts.iter().all(|c| *c <= 1));
        assert!(counts.iter().filter(|c| **c == 1).count() >= 290);
    }
}
