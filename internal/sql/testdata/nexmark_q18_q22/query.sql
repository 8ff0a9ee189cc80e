-- Nexmark q18 (dedup), q19 (Top-10), q21 (CASE, REGEXP_EXTRACT), q22 (SPLIT_INDEX)
-- in the spec's SQL over input/nexmark.jsonl.
-- include: nexmark_source.sql

-- include-nexmark: q18

-- include-nexmark: q19

-- include-nexmark: q21

-- include-nexmark: q22
