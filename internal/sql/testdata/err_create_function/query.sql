CREATE FUNCTION count_char AS 'com.example.Missing';
