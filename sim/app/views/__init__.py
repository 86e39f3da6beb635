"""The app's views, one module each: Explore, Compare, Watch, Teach, About."""
