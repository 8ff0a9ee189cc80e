-- UNNEST keeps the event time of the outer row: the rowtime column of a
-- view over CROSS JOIN UNNEST is still a time attribute, so a window table
-- function and a group window aggregate over it (as in Flink, where the
-- correlate keeps the input's time attributes).
CREATE TABLE clicks (
  `user` STRING,
  pages ARRAY<STRING>,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'values');

CREATE VIEW page_views AS
SELECT `user`, page, ts FROM clicks CROSS JOIN UNNEST(pages) AS p(page);

CREATE TABLE per_page (window_start TIMESTAMP(3), window_end TIMESTAMP(3), page STRING, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE per_page_group (ws TIMESTAMP(3), page STRING, n BIGINT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO per_page
SELECT window_start, window_end, page, COUNT(*)
FROM TABLE(TUMBLE(TABLE page_views, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, page;
INSERT INTO per_page_group
SELECT TUMBLE_START(ts, INTERVAL '10' SECOND), page, COUNT(*)
FROM clicks CROSS JOIN UNNEST(pages) AS p(page)
GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), page;
END;
