-- A retraction of a user the group never had (an out-of-order changelog)
-- leaves bob's count below zero; the group's last row retracted deletes it
-- with its distinct values, so bob coming back later counts as a user (a
-- leftover count of -1 would hide him).
CREATE TABLE visits (site STRING, usr STRING) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE per_site (site STRING, users BIGINT, n BIGINT) WITH ('connector' = 'collect');
INSERT INTO per_site SELECT site, COUNT(DISTINCT usr), COUNT(*) FROM visits GROUP BY site;
