"""Quality checks on translations: named checks, severities, findings per segment."""
