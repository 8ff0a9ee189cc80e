-- DISTINCT aggregates of a regular GROUP BY over an updating input (a
-- changelog source), kept in map state per distinct argument with a count
-- per FILTER (Flink's MapView): COUNT(DISTINCT usr) with and without
-- FILTERs share the view of usr; a user's count going 1 -> 0 takes them
-- out (ann's small visit retracted), 0 -> 1 puts them back; NULL users are
-- no value; SUM/AVG/MIN/MAX(DISTINCT amount) see each amount once. Group b
-- is deleted and starts again. by_count: COUNT(DISTINCT) over a GROUP BY
-- whose counts change (-U/+U retract sites from their old count).
CREATE TABLE visits (id BIGINT, site STRING, usr STRING, amount BIGINT) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE per_site (site STRING, users BIGINT, big_users BIGINT, small_users BIGINT,
  sum_amount BIGINT, avg_amount BIGINT, min_amount BIGINT, max_amount BIGINT, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE by_count (n BIGINT, sites BIGINT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO per_site
SELECT site,
  COUNT(DISTINCT usr),
  COUNT(DISTINCT usr) FILTER (WHERE amount >= 10),
  COUNT(DISTINCT usr) FILTER (WHERE amount < 10),
  SUM(DISTINCT amount), AVG(DISTINCT amount), MIN(DISTINCT amount), MAX(DISTINCT amount),
  COUNT(*)
FROM visits GROUP BY site;
INSERT INTO by_count
SELECT n, COUNT(DISTINCT site) FROM (SELECT site, COUNT(*) AS n FROM visits GROUP BY site) GROUP BY n;
END;
