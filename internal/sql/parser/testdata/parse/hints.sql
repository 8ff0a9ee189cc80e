-- Flink's hints: dynamic table options, state TTL, lookup and join hints.
SELECT id, name FROM kafka_table1 /*+ OPTIONS('scan.startup.mode'='earliest-offset') */;
SELECT /*+ STATE_TTL('o' = '1d', 'p' = '12h') */ o.id, p.name
FROM orders o LEFT JOIN products p ON o.pid = p.id;
SELECT /*+ LOOKUP('table'='Customers', 'async'='true', 'retry-predicate'='lookup_miss'), BROADCAST(a, b), NO_HINT */ *
FROM a JOIN b /*+ OPTIONS('k' = 'v') */ AS bb ON TRUE;
INSERT INTO kafka_sink /*+ OPTIONS('sink.partitioner'='round-robin') */ SELECT * FROM src;
SELECT a /* a plain comment */ FROM t; /* another */ -- and a line comment
