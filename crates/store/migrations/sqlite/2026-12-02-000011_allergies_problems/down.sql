DROP TABLE problems;
DROP TABLE allergies;
