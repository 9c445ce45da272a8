require("../lib/suite").run("fiber");
