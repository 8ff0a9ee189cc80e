CREATE TABLE offers (item BIGINT, amount INT) WITH ('connector' = 'values');
CREATE TABLE o (item BIGINT, amount INT) WITH ('connector' = 'collect');
INSERT INTO o SELECT item, amount FROM offers o WHERE amount = (SELECT MAX(amount) FROM offers WHERE item = o.item AND amount < o.amount);
