SELECT
    1, -2, 3.5, .5, 1e10, 2.5E-3, 'it''s', TRUE, FALSE, UNKNOWN, NULL,
    DATE '2026-01-01', TIME '12:00:00', TIMESTAMP '2026-01-01 00:00:00.000',
    INTERVAL '10' SECOND, INTERVAL '1' HOUR TO MINUTE, INTERVAL -'3' DAY, INTERVAL '2' YEARS,
    a + b * c - d / e % f, (a + b) * c, a || b || 'x', -(-a), - -a, +a,
    a = 1 OR b = 2 AND NOT c = 3, NOT (a OR b),
    a IS NULL, a IS NOT TRUE, a IS FALSE, a IS UNKNOWN, a IS DISTINCT FROM b, a IS NOT DISTINCT FROM b + 1,
    a BETWEEN 1 AND 10, a NOT BETWEEN SYMMETRIC b AND c,
    a IN (1, 2), a NOT IN ('x'), s LIKE 'a%', s NOT LIKE 'a!%%' ESCAPE '!', s SIMILAR TO '[ab]+', s NOT SIMILAR TO 'x',
    CASE a WHEN 1 THEN 'one' WHEN 2 THEN 'two' ELSE 'many' END,
    CASE WHEN a > 0 THEN 'pos' END,
    CAST(a AS BIGINT), CAST(s AS DECIMAL(23, 3)), TRY_CAST(s AS INT), CAST(x AS ROW<a INT, b STRING>),
    CAST(ts AS TIMESTAMP(3) WITH TIME ZONE), CAST(m AS MAP<STRING, INT> NOT NULL),
    EXTRACT(YEAR FROM ts), EXTRACT(DOW FROM ts),
    POSITION('a' IN s), TRIM(BOTH ' ' FROM s), TRIM(LEADING FROM s), TRIM(TRAILING 'x' FROM s), TRIM(s),
    SUBSTRING(s FROM 2 FOR 3), SUBSTRING(s FROM 2), SUBSTRING(s, 2, 3),
    TIMESTAMPADD(HOUR, 2, ts), TIMESTAMPDIFF(DAY, ts1, ts2),
    CURRENT_TIMESTAMP, CURRENT_DATE, LOCALTIMESTAMP, CURRENT_ROW_TIMESTAMP(), NOW(), PROCTIME(),
    REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2), SPLIT_INDEX(url, '/', 3), DATE_FORMAT(ts, 'yyyy-MM-dd'),
    COALESCE(a, b, 0), IF(a > 0, 'y', 'n'), LEFT(s, 2), RIGHT(s, 2), MOD(a, 10),
    ARRAY[1, 2, 3], ARRAY[], MAP['a', 1, 'b', 2], ROW(1, 'a'), (1, 2),
    arr[1], m['k'], r.f, t.r.f, f(x).g, arr[1].name, (r).f, `weird name`.`x``y`,
    cat.db.fn(1), a.b.c.d,
    ? + ?
FROM t;
SELECT FLOOR(ts TO HOUR), CEIL(ts TO DAY), CEILING(x), FLOOR(2.5), OVERLAY(s PLACING 'ab' FROM 2 FOR 3), OVERLAY(s PLACING 'x' FROM 1), `floor`(x)
FROM t;
