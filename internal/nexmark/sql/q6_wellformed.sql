-- q6: average selling price per seller, in well-formed SQL. The spec's text
-- (internal/nexmark/sql/q6.sql) selects B.dateTime without
-- grouping it and puts an OVER window over a retracting input, which Flink
-- rejects. This is the query its DataStream version computes: each
-- auction's winning bid (inside [dateTime, expires]; the highest price, then
-- the earliest, then the lowest bidder: a Top-1 over the join), then per
-- seller the last 10 winners by the winning bid's time and auction (a Top-N
-- over that updating result) and their average price.
CREATE TABLE nexmark_q6 (
    seller BIGINT,
    avg_price BIGINT
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q6
SELECT seller, AVG(final) AS avg_price
FROM (
    SELECT seller, final,
           ROW_NUMBER() OVER (PARTITION BY seller ORDER BY dateTime DESC, id DESC) AS rn
    FROM (
        SELECT id, seller, price AS final, dateTime
        FROM (
            SELECT A.id, A.seller, B.price, B.dateTime,
                   ROW_NUMBER() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.dateTime, B.bidder) AS rk
            FROM auction AS A, bid AS B
            WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
        )
        WHERE rk = 1
    )
)
WHERE rn <= 10
GROUP BY seller;
