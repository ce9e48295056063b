select * exclude (recu_le) from diffusion.suivi_indicateurs where origine = 'collecté'
