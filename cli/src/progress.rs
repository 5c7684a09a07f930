//! The progress bar `kafkit perf` shows while it runs: drawn on standard error, and only when
//! standard output is a terminal (so `--json` piped into a file or a program stays clean, and
//! test runs draw nothing).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar counting records towards a total, or nothing at all when hidden.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
    /// The position last given to the bar: updates are batched (see [`Progress::set`]).
    shown: u64,
}

/// Redraws are cheap, but not free: the bar is told of progress every this many records.
const STEP: u64 = 4096;

impl Progress {
    /// A bar for `total` records labelled `label` (`"produced"`, `"consumed"`), shown only if
    /// standard output is a terminal.
    pub fn new(total: u64, label: &str) -> Self {
        Self::with_visibility(total, label, std::io::stdout().is_terminal())
    }

    /// A bar that is shown or not as `visible` says.
    pub fn with_visibility(total: u64, label: &str, visible: bool) -> Self {
        if !visible {
            return Progress { bar: None, shown: 0 };
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(10));
        let template = format!(
            "{{spinner}} {label} {{pos}}/{{len}} [{{bar:40}}] {{percent}}% {{per_sec}} elapsed {{elapsed}} eta {{eta}}"
        );
        // The template is ours and valid; should it not be, the default style is as good.
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress { bar: Some(bar), shown: 0 }
    }

    /// Records `done` records so far (told to the bar every few thousand).
    pub fn set(&mut self, done: u64) {
        if let Some(bar) = &self.bar {
            if done >= self.shown + STEP || done < self.shown {
                bar.set_position(done);
                self.shown = done;
            }
        }
    }

    /// Shows the final count and removes the bar (the figures are printed after it).
    pub fn finish(&mut self, done: u64) {
        if let Some(bar) = self.bar.take() {
            bar.set_position(done);
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_bar_does_nothing_and_visible_one_counts() {
        let mut hidden = Progress::with_visibility(10, "produced", false);
        assert!(hidden.bar.is_none());
        hidden.set(5);
        hidden.finish(10);

        let mut shown = Progress::with_visibility(100_000, "produced", true);
        assert!(shown.bar.is_some());
        shown.set(10);
        assert_eq!(shown.bar.as_ref().unwrap().position(), 0, "small steps are batched");
        shown.set(STEP + 10);
        assert_eq!(shown.bar.as_ref().unwrap().position(), STEP + 10);
        shown.finish(100_000);
        assert!(shown.bar.is_none());
    }
}
