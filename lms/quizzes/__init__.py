"""Question banks, quizzes and final exams, attempts with autosave, server-side grading, GIFT."""
