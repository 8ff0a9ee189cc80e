-- Functions are registered from Go; there is no code upload.
CREATE TEMPORARY FUNCTION f AS 'my_udf.f' LANGUAGE PYTHON;
