DROP TABLE critical_alerts;
