-- Nexmark q15 and q17 (updating aggregations with FILTER and COUNT(DISTINCT))
-- in the spec's SQL over input/nexmark.jsonl.
-- include: nexmark_source.sql

-- include-nexmark: q15

-- include-nexmark: q17
