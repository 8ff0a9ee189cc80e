-- Nexmark q23 in the spec's SQL: a three-way join (nested binary regular joins).
-- include: nexmark_source.sql

-- include-nexmark: q23
