//! Whole-repository fixtures: the verdict, the findings a reviewer would expect with
//! their evidence, the JSON contract, and snapshots of the reports.
