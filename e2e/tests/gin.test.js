require("../lib/suite").run("gin");
