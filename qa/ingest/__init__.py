"""Reading articles from a corpus and cutting them into chunks with exact offsets."""
