-- Nexmark q14 in the spec's SQL: CREATE FUNCTION names the Go function
-- registered under the Java identifier (Session.RegisterNexmarkFunctions).
-- include: nexmark_source.sql

-- include-nexmark: q14
