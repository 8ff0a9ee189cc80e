-- LISTAGG, FIRST_VALUE, LAST_VALUE and the variances over an updating
-- input (a changelog source): FIRST_VALUE and LAST_VALUE take their
-- retracting forms, which hold the values in arrival order and take back
-- the earliest occurrence; LISTAGG takes back the earliest occurrence
-- too. Over an append-only input (the second INSERT) they keep one value.
-- VAR_POP of a BIGINT is a BIGINT (Flink: SUM/COUNT of squares in the
-- argument's type), of a DOUBLE a DOUBLE, of a DECIMAL(10, 2) a
-- DECIMAL(38, 6).
CREATE TABLE accounts (id BIGINT, region STRING, owner STRING, balance BIGINT) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE logins (region STRING, who STRING) WITH ('connector' = 'values');
CREATE TABLE per_region (region STRING, owners STRING, first_owner STRING, last_owner STRING,
  vp BIGINT, sd DOUBLE, vs DECIMAL(38, 6)) WITH ('connector' = 'collect');
CREATE TABLE first_last (region STRING, first_who STRING, last_who STRING, who STRING) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO per_region
SELECT region, LISTAGG(owner, ';'), FIRST_VALUE(owner), LAST_VALUE(owner), VAR_POP(balance),
  STDDEV_POP(CAST(balance AS DOUBLE)), VAR_SAMP(CAST(balance AS DECIMAL(10, 2)))
FROM accounts GROUP BY region;
INSERT INTO first_last
SELECT region, FIRST_VALUE(who), LAST_VALUE(who), LISTAGG(who) FROM logins GROUP BY region;
END;
