//! Readers of reports that test runners and coverage tools write: JUnit XML, coverage.py
//! JSON, Cobertura XML, LCOV, Go coverprofile, `go test -json`, libtest output and Jest
//! JSON. Pure functions from text to data; every input is untrusted.
