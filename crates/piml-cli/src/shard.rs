//! `--shard I/N`: the I-th of N slices of embarrassingly parallel work.

use std::ops::Range;
use std::str::FromStr;

/// One slice of N; `index` counts from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// The shard of a Slurm job array task, from `SLURM_ARRAY_TASK_ID`,
    /// `SLURM_ARRAY_TASK_COUNT` and `SLURM_ARRAY_TASK_MIN` (arrays need not start at 0).
    pub fn from_slurm(var: impl Fn(&str) -> Option<String>) -> Result<Option<Shard>, String> {
        let (Some(id), Some(count)) = (var("SLURM_ARRAY_TASK_ID"), var("SLURM_ARRAY_TASK_COUNT"))
        else {
            return Ok(None);
        };
        let num = |name: &str, v: &str| -> Result<usize, String> {
            v.trim()
                .parse()
                .map_err(|_| format!("{name}={v} is not a whole number"))
        };
        let id = num("SLURM_ARRAY_TASK_ID", &id)?;
        let count = num("SLURM_ARRAY_TASK_COUNT", &count)?;
        let min = var("SLURM_ARRAY_TASK_MIN")
            .map(|m| num("SLURM_ARRAY_TASK_MIN", &m))
            .transpose()?
            .unwrap_or(0);
        let index = id.checked_sub(min).ok_or_else(|| {
            format!("SLURM_ARRAY_TASK_ID={id} is below SLURM_ARRAY_TASK_MIN={min}")
        })?;
        Shard::new(index, count).map(Some).map_err(|why| {
            format!(
                "the Slurm array task (SLURM_ARRAY_TASK_ID={id}, SLURM_ARRAY_TASK_COUNT={count}, SLURM_ARRAY_TASK_MIN={min}) gives {why}; give --shard I/N to override"
            )
        })
    }

    pub fn new(index: usize, count: usize) -> Result<Shard, String> {
        if count == 0 || index >= count {
            return Err(format!(
                "shard {index}/{count}: expected I/N with 0 <= I < N"
            ));
        }
        Ok(Shard { index, count })
    }

    /// The items of `0..total` this shard owns: a contiguous slice, so that
    /// the shards' outputs concatenate in order to the whole run's.
    pub fn range(&self, total: usize) -> Range<usize> {
        let start = total * self.index / self.count;
        let end = total * (self.index + 1) / self.count;
        start..end
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("'{s}': expected I/N, e.g. 0/4"))?;
        let parse = |v: &str| {
            v.trim()
                .parse::<usize>()
                .map_err(|_| format!("'{s}': expected I/N with whole numbers"))
        };
        Shard::new(parse(i)?, parse(n)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_work() {
        let total = 10;
        let mut all = Vec::new();
        for i in 0..3 {
            all.extend(Shard::new(i, 3).unwrap().range(total));
        }
        assert_eq!(all, (0..total).collect::<Vec<_>>());
        assert_eq!(
            "2/4".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 4 }
        );
        assert!("4/4".parse::<Shard>().is_err());
        assert!("x/4".parse::<Shard>().is_err());
    }

    #[test]
    fn slurm_arrays_may_start_anywhere() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let s = Shard::from_slurm(env(&[
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "3"),
        ]));
        assert_eq!(s, Ok(Some(Shard { index: 2, count: 4 })));
        assert_eq!(Shard::from_slurm(env(&[])), Ok(None));
    }
}
